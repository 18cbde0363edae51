"""Signed-in users as principals: the issuer says who they are, `iam.membership` what they may do.

A user acts in one organization at a time: the one named by the `X-Beacon-Organization` header,
or their only one. Answers are cached like API keys (`API_KEY_CACHE_SECONDS`), which bounds how
long a removed member keeps access.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from sqlalchemy import Row, delete, func, select, tuple_, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from beacon_shared.auth.brands import UnknownBrand, member_access, missing_brands
from beacon_shared.auth.cache import ShortCache
from beacon_shared.auth.keys import revoke_personal_tokens
from beacon_shared.auth.oidc import Identity
from beacon_shared.auth.roles import BRAND_ROLES, OWNER, ROLE_SCOPES
from beacon_shared.auth.tables import brand, brand_role, membership, tenant, user
from beacon_shared.errors import Conflict, InvalidInput, NotFound
from beacon_shared.pagination import Cursor

ORGANIZATION_HEADER = "X-Beacon-Organization"
# A row of any columns.
AnyRow = Row[*tuple[Any, ...]]


class MemberNotFound(NotFound):
    code, title = "member_not_found", "Member not found"


class LastOwner(Conflict):
    code, title = "last_owner", "An organization keeps at least one owner"


class AlreadyMember(Conflict):
    code, title = "already_a_member", "Already a member of this organization"


@dataclass(frozen=True, slots=True)
class Membership:
    """A user's role in one organization, and their role on each brand they were given one on
    (which then limits them to those brands)."""

    user_id: UUID
    tenant_id: str
    role: str
    brand_roles: Mapping[str, str] = field(default_factory=dict)

    @property
    def scopes(self) -> frozenset[str]:
        """What the roles grant, on some brand at least."""
        return member_access(self.role, self.brand_roles)[0]

    @property
    def brand_scopes(self) -> Mapping[str, frozenset[str]] | None:
        """What each brand's role grants there; None when the scopes hold on every brand."""
        return member_access(self.role, self.brand_roles)[1]


class MemberDirectory:
    """Finds a signed-in user's memberships, caching answers for a short period."""

    def __init__(self, engine: AsyncEngine, *, cache_seconds: float = 5.0) -> None:
        self.engine = engine
        self._cache: ShortCache[tuple[str, str], list[Membership]] = ShortCache(cache_seconds)

    async def memberships(self, identity: Identity) -> list[Membership]:
        """Every organization the user belongs to, with their role there."""
        key = (identity.issuer, identity.subject)
        fresh, cached = self._cache.get(key)
        if fresh and cached is not None:
            return cached
        async with self.engine.connect() as conn:
            rows = (
                await conn.execute(
                    select(membership.c.user_id, membership.c.tenant_id, membership.c.role)
                    .join(user, user.c.id == membership.c.user_id)
                    .where(user.c.issuer == identity.issuer, user.c.subject == identity.subject)
                    .order_by(membership.c.tenant_id)
                )
            ).all()
            brand_roles: dict[str, dict[str, str]] = {}
            if rows:
                granted = await conn.execute(
                    select(brand_role.c.tenant_id, brand_role.c.brand_id, brand_role.c.role)
                    .join(
                        brand,
                        (brand.c.tenant_id == brand_role.c.tenant_id)
                        & (brand.c.id == brand_role.c.brand_id),
                    )
                    .where(brand_role.c.user_id == rows[0].user_id, brand.c.deleted_at.is_(None))
                )
                for g in granted:
                    brand_roles.setdefault(g.tenant_id, {})[g.brand_id] = g.role
        found = [
            Membership(row.user_id, row.tenant_id, row.role, brand_roles.get(row.tenant_id, {}))
            for row in rows
        ]
        self._cache.put(key, found)
        return found


def choose(memberships: list[Membership], organization: str | None) -> Membership | None:
    """The membership a request acts under: the named organization's, or the only one."""
    if organization is not None:
        return next((m for m in memberships if m.tenant_id == organization), None)
    return memberships[0] if len(memberships) == 1 else None


async def add_member(
    session: AsyncSession,
    *,
    tenant_id: str,
    issuer: str,
    subject: str,
    role: str,
    email: str | None = None,
    name: str | None = None,
) -> Membership:
    """Make the issuer's `subject` a member of the organization with `role` (bootstrap, tests);
    a member already there gets the role, but the last owner stays one (LastOwner)."""
    if role not in ROLE_SCOPES:
        raise InvalidInput(f"unknown role {role!r}; one of {', '.join(ROLE_SCOPES)}")
    locked = select(tenant.c.id).where(tenant.c.id == tenant_id).with_for_update()
    if await session.scalar(locked) is None:
        raise NotFound(f"No organization {tenant_id!r}.")
    existing = (
        await session.execute(
            select(membership.c.user_id, membership.c.role)
            .join(user, user.c.id == membership.c.user_id)
            .where(
                membership.c.tenant_id == tenant_id,
                user.c.issuer == issuer,
                user.c.subject == subject,
            )
        )
    ).first()
    if existing is not None and existing.role == OWNER and role != OWNER:
        await _keep_an_owner(session, tenant_id=tenant_id, leaving=existing.user_id)

    user_id = await session.scalar(
        insert(user)
        .values(id=uuid.uuid4(), issuer=issuer, subject=subject, email=email, name=name)
        .on_conflict_do_update(
            index_elements=[user.c.issuer, user.c.subject],
            set_={"email": email, "name": name},
        )
        .returning(user.c.id)
    )
    assert user_id is not None
    await session.execute(
        insert(membership)
        .values(tenant_id=tenant_id, user_id=user_id, role=role)
        .on_conflict_do_update(
            index_elements=[membership.c.tenant_id, membership.c.user_id], set_={"role": role}
        )
    )
    return Membership(user_id, tenant_id, role)


# The columns a member is shown with; `id` is the user's, so pages key on (created_at, id).
_MEMBER = (
    membership.c.user_id.label("id"),
    user.c.email,
    user.c.name,
    membership.c.role,
    membership.c.created_at,
)


async def list_members(
    session: AsyncSession, *, tenant_id: str, after: Cursor | None, limit: int
) -> Sequence[AnyRow]:
    """Up to `limit` members in the order they joined, after the cursor's (created_at, id)."""
    query = (
        select(*_MEMBER)
        .join(user, user.c.id == membership.c.user_id)
        .where(membership.c.tenant_id == tenant_id)
    )
    if after is not None:
        query = query.where(
            tuple_(membership.c.created_at, membership.c.user_id) > tuple_(after.at, after.id)
        )
    return (
        await session.execute(
            query.order_by(membership.c.created_at, membership.c.user_id).limit(limit)
        )
    ).all()


async def get_member(session: AsyncSession, *, tenant_id: str, user_id: UUID) -> AnyRow:
    """One member of the organization, or MemberNotFound."""
    row = (
        await session.execute(
            select(*_MEMBER)
            .join(user, user.c.id == membership.c.user_id)
            .where(membership.c.tenant_id == tenant_id, membership.c.user_id == user_id)
        )
    ).first()
    if row is None:
        raise MemberNotFound(f"No member {user_id} in this organization.")
    return row


async def _role_for_change(session: AsyncSession, *, tenant_id: str, user_id: UUID) -> str:
    """The member's role, with the organization locked against concurrent changes of its owners
    (two owners each demoting the other at once must not leave none)."""
    await session.execute(select(tenant.c.id).where(tenant.c.id == tenant_id).with_for_update())
    role = await session.scalar(
        select(membership.c.role).where(
            membership.c.tenant_id == tenant_id, membership.c.user_id == user_id
        )
    )
    if role is None:
        raise MemberNotFound(f"No member {user_id} in this organization.")
    return str(role)


async def _keep_an_owner(session: AsyncSession, *, tenant_id: str, leaving: UUID) -> None:
    owners = await session.scalar(
        select(func.count()).where(
            membership.c.tenant_id == tenant_id,
            membership.c.role == OWNER,
            membership.c.user_id != leaving,
        )
    )
    if not owners:
        raise LastOwner(
            "This is the organization's last owner: make another member an owner first."
        )


async def change_role(
    session: AsyncSession, *, tenant_id: str, user_id: UUID, role: str
) -> tuple[str, Membership]:
    """Give a member another role (the role before, and the membership now); the last owner
    stays one (LastOwner)."""
    if role not in ROLE_SCOPES:
        raise InvalidInput(f"unknown role {role!r}; one of {', '.join(ROLE_SCOPES)}")
    before = await _role_for_change(session, tenant_id=tenant_id, user_id=user_id)
    if before == OWNER and role != OWNER:
        await _keep_an_owner(session, tenant_id=tenant_id, leaving=user_id)
    await session.execute(
        update(membership)
        .where(membership.c.tenant_id == tenant_id, membership.c.user_id == user_id)
        .values(role=role)
    )
    return before, Membership(user_id, tenant_id, role)


async def remove_member(session: AsyncSession, *, tenant_id: str, user_id: UUID) -> str:
    """Take a member out of the organization (their role is returned) and revoke their personal
    tokens there; the last owner cannot leave (LastOwner). Their access ends within the
    membership cache period (`API_KEY_CACHE_SECONDS`)."""
    role = await _role_for_change(session, tenant_id=tenant_id, user_id=user_id)
    if role == OWNER:
        await _keep_an_owner(session, tenant_id=tenant_id, leaving=user_id)
    await session.execute(
        delete(membership).where(
            membership.c.tenant_id == tenant_id, membership.c.user_id == user_id
        )
    )
    await revoke_personal_tokens(session, tenant_id=tenant_id, user_id=user_id)
    return role


async def join(
    session: AsyncSession, *, tenant_id: str, identity: Identity, role: str
) -> Membership:
    """Make the signed-in `identity` a member with `role` (known to iam from now on);
    AlreadyMember if they are one."""
    new = insert(user).values(
        id=uuid.uuid4(),
        issuer=identity.issuer,
        subject=identity.subject,
        email=identity.email,
        name=identity.name,
    )
    # What the issuer says now, without forgetting what it said before and left out this time.
    user_id = await session.scalar(
        new.on_conflict_do_update(
            index_elements=[user.c.issuer, user.c.subject],
            set_={
                "email": func.coalesce(new.excluded.email, user.c.email),
                "name": func.coalesce(new.excluded.name, user.c.name),
            },
        ).returning(user.c.id)
    )
    assert user_id is not None
    joined = await session.scalar(
        insert(membership)
        .values(tenant_id=tenant_id, user_id=user_id, role=role)
        .on_conflict_do_nothing()
        .returning(membership.c.user_id)
    )
    if joined is None:
        raise AlreadyMember("You are already a member of this organization.")
    return Membership(user_id, tenant_id, role)


async def set_brand_roles(
    session: AsyncSession, *, tenant_id: str, user_id: UUID, roles: Mapping[str, str]
) -> dict[str, str]:
    """Replace a member's brand roles (none: their organization role on every brand); the roles
    before are returned. Every brand must be a live one (UnknownBrand)."""
    from_brands = await missing_brands(session, tenant_id=tenant_id, brand_ids=roles)
    if from_brands:
        raise UnknownBrand(from_brands)
    unknown = sorted({r for r in roles.values() if r not in BRAND_ROLES})
    if unknown:
        raise InvalidInput(f"unknown brand roles {unknown}; one of {', '.join(BRAND_ROLES)}")
    before = await brand_roles_of(session, tenant_id=tenant_id, user_ids=[user_id])
    await session.execute(
        delete(brand_role).where(
            brand_role.c.tenant_id == tenant_id, brand_role.c.user_id == user_id
        )
    )
    if roles:
        await session.execute(
            insert(brand_role),
            [
                {"tenant_id": tenant_id, "user_id": user_id, "brand_id": b, "role": r}
                for b, r in roles.items()
            ],
        )
    return before.get(user_id, {})


async def brand_roles_of(
    session: AsyncSession, *, tenant_id: str, user_ids: Sequence[UUID]
) -> dict[UUID, dict[str, str]]:
    """Each member's role on each live brand they were given one on."""
    rows = await session.execute(
        select(brand_role.c.user_id, brand_role.c.brand_id, brand_role.c.role)
        .join(
            brand,
            (brand.c.tenant_id == brand_role.c.tenant_id) & (brand.c.id == brand_role.c.brand_id),
        )
        .where(
            brand_role.c.tenant_id == tenant_id,
            brand_role.c.user_id.in_(user_ids),
            brand.c.deleted_at.is_(None),
        )
    )
    found: dict[UUID, dict[str, str]] = {}
    for row in rows:
        found.setdefault(row.user_id, {})[row.brand_id] = row.role
    return found
