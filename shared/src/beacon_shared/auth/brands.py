"""The organization's brands as the unit of access: which exist, and what a credential may do on
each.

`iam.brand` holds only the ids; the workspace service writes them with the brand's settings and
every service checks a request's brand against them (cached like API keys, so a new or deleted
brand is seen everywhere within `API_KEY_CACHE_SECONDS`).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from beacon_shared.auth.cache import ShortCache
from beacon_shared.auth.principal import Principal
from beacon_shared.auth.roles import ORGANIZATION_ROLES, ROLE_SCOPES, within_role
from beacon_shared.auth.tables import brand
from beacon_shared.auth.tenants import ensure_tenant
from beacon_shared.errors import Forbidden, InvalidInput

LIVE = brand.c.deleted_at.is_(None)


class UnknownBrand(InvalidInput):
    code, title = "unknown_brand", "Unknown brand"

    def __init__(self, brand_ids: Collection[str]) -> None:
        names = ", ".join(map(repr, sorted(brand_ids)))
        super().__init__(
            f"No brand {names} in this organization: register it first (POST /v1/brands on the "
            "workspace service)."
        )


class BrandNotAllowed(Forbidden):
    code, title = "brand_not_allowed", "Not allowed on this brand"


# The registry (written by the workspace service, and by migrations adopting existing ids) ------


async def register_brand(session: AsyncSession, *, tenant_id: str, brand_id: str) -> None:
    """Make the brand exist (again, if it was deleted)."""
    await ensure_tenant(session, tenant_id=tenant_id)
    await session.execute(
        insert(brand)
        .values(tenant_id=tenant_id, id=brand_id)
        .on_conflict_do_update(
            index_elements=[brand.c.tenant_id, brand.c.id], set_={"deleted_at": None}
        )
    )


async def delete_brand(session: AsyncSession, *, tenant_id: str, brand_id: str) -> None:
    """Mark the brand deleted: every service refuses it from then on (within the cache time)."""
    await session.execute(
        update(brand)
        .where(brand.c.tenant_id == tenant_id, brand.c.id == brand_id, LIVE)
        .values(deleted_at=func.now())
    )


async def missing_brands(
    session: AsyncSession, *, tenant_id: str, brand_ids: Iterable[str]
) -> list[str]:
    """The ids among `brand_ids` that are no live brand of the organization."""
    wanted = set(brand_ids)
    if not wanted:
        return []
    found = await session.scalars(
        select(brand.c.id).where(brand.c.tenant_id == tenant_id, brand.c.id.in_(wanted), LIVE)
    )
    return sorted(wanted - set(found))


class BrandDirectory:
    """Whether a brand exists, cached for a short period (misses too)."""

    def __init__(self, engine: AsyncEngine, *, cache_seconds: float = 5.0) -> None:
        self.engine = engine
        self._cache: ShortCache[tuple[str, str], bool] = ShortCache(cache_seconds)

    async def exists(self, tenant_id: str, brand_id: str) -> bool:
        """Whether `brand_id` is a live brand of the organization."""
        fresh, cached = self._cache.get((tenant_id, brand_id))
        if fresh and cached is not None:
            return cached
        async with self.engine.connect() as conn:
            found = await conn.scalar(
                select(brand.c.id).where(
                    brand.c.tenant_id == tenant_id, brand.c.id == brand_id, LIVE
                )
            )
        self._cache.put((tenant_id, brand_id), found is not None)
        return found is not None

    async def check(self, principal: Principal, scope: str, brand_id: str | None) -> None:
        """Refuse a brand the organization does not have (422 unknown_brand), then one the
        credential may not use for `scope` (403 brand_not_allowed); no brand (the whole
        organization's) only for a credential not limited to brands."""
        if brand_id is not None and not await self.exists(principal.tenant_id, brand_id):
            raise UnknownBrand([brand_id])
        require_on(principal, scope, brand_id)

    async def check_all(self, principal: Principal, scope: str, brand_ids: Iterable[str]) -> None:
        """`check` for each brand, every unknown one named in one problem."""
        wanted = sorted(set(brand_ids))
        unknown = [b for b in wanted if not await self.exists(principal.tenant_id, b)]
        if unknown:
            raise UnknownBrand(unknown)
        for brand_id in wanted:
            await self.check(principal, scope, brand_id)


def require_on(principal: Principal, scope: str, brand_id: str | None) -> None:
    """Refuse a brand the credential may not use for `scope` (403 brand_not_allowed); what has
    no brand belongs to the whole organization, which a credential limited to brands may not
    use."""
    if principal.allows_on(scope, brand_id):
        return
    if brand_id is None:
        raise BrandNotAllowed(
            "This credential is limited to some brands; what has no brand belongs to the whole "
            "organization."
        )
    raise BrandNotAllowed(f"This credential may not use {scope!r} on the brand {brand_id!r}.")


def _directory(request: Request) -> BrandDirectory:
    directory: BrandDirectory = request.app.state.brands
    return directory


# A route's handle on the process's brand directory.
Brands = Annotated[BrandDirectory, Depends(_directory)]


# What a credential may do on each brand -----------------------------------------------------------


def member_access(
    role: str,
    brand_roles: Mapping[str, str],
    *,
    token_scopes: frozenset[str] | None = None,
) -> tuple[frozenset[str], Mapping[str, frozenset[str]] | None]:
    """A member's scopes and per-brand scopes (None: every brand): owners and admins, and members
    with no brand role, hold their organization role everywhere; a member with brand roles holds
    each brand's role on that brand only. A personal token's own scopes cut them down."""

    def granted(for_role: str) -> frozenset[str]:
        if token_scopes is None:
            return ROLE_SCOPES[for_role]
        return within_role(token_scopes, for_role)

    if role in ORGANIZATION_ROLES or not brand_roles:
        return granted(role), None
    per_brand = {brand_id: granted(r) for brand_id, r in brand_roles.items()}
    return union(per_brand), per_brand


def limit_to_brands(
    scopes: frozenset[str],
    brand_scopes: Mapping[str, frozenset[str]] | None,
    brand_ids: Iterable[str] | None,
) -> tuple[frozenset[str], Mapping[str, frozenset[str]] | None]:
    """Scopes and per-brand scopes further limited to `brand_ids` (a key limited to brands)."""
    if brand_ids is None:
        return scopes, brand_scopes
    allowed = set(brand_ids)
    if brand_scopes is None:
        per_brand = dict.fromkeys(allowed, scopes)
    else:
        per_brand = {b: held for b, held in brand_scopes.items() if b in allowed}
    return union(per_brand), per_brand


def union(per_brand: Mapping[str, frozenset[str]]) -> frozenset[str]:
    """Every scope some brand grants."""
    return frozenset().union(*per_brand.values())
