"""Signed-in users as principals: the issuer says who they are, `iam.membership` what they may do.

A user acts in one organization at a time: the one named by the `X-Beacon-Organization` header,
or their only one. Answers are cached like API keys (`API_KEY_CACHE_SECONDS`), which bounds how
long a removed member keeps access.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from beacon_shared.auth.oidc import Identity
from beacon_shared.auth.roles import ROLE_SCOPES
from beacon_shared.auth.tables import membership, tenant, user
from beacon_shared.errors import InvalidInput, NotFound

ORGANIZATION_HEADER = "X-Beacon-Organization"


@dataclass(frozen=True, slots=True)
class Membership:
    """A user's role in one organization."""

    user_id: UUID
    tenant_id: str
    role: str

    @property
    def scopes(self) -> frozenset[str]:
        """What the role grants."""
        return ROLE_SCOPES[self.role]


class MemberDirectory:
    """Finds a signed-in user's memberships, caching answers for a short period."""

    def __init__(self, engine: AsyncEngine, *, cache_seconds: float = 5.0) -> None:
        self.engine = engine
        self.cache_seconds = cache_seconds
        self._cache: dict[tuple[str, str], tuple[float, list[Membership]]] = {}

    async def memberships(self, identity: Identity) -> list[Membership]:
        """Every organization the user belongs to, with their role there."""
        key = (identity.issuer, identity.subject)
        now = time.monotonic()
        cached = self._cache.get(key)
        if cached is not None and cached[0] > now:
            return cached[1]
        async with self.engine.connect() as conn:
            rows = (
                await conn.execute(
                    select(membership.c.user_id, membership.c.tenant_id, membership.c.role)
                    .join(user, user.c.id == membership.c.user_id)
                    .where(user.c.issuer == identity.issuer, user.c.subject == identity.subject)
                    .order_by(membership.c.tenant_id)
                )
            ).all()
        found = [Membership(row.user_id, row.tenant_id, row.role) for row in rows]
        if len(self._cache) > 10_000:
            self._cache.clear()
        self._cache[key] = (now + self.cache_seconds, found)
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
    """Make the issuer's `subject` a member of the organization with `role` (bootstrap, tests)."""
    if role not in ROLE_SCOPES:
        raise InvalidInput(f"unknown role {role!r}; one of {', '.join(ROLE_SCOPES)}")
    if await session.scalar(select(tenant.c.id).where(tenant.c.id == tenant_id)) is None:
        raise NotFound(f"No organization {tenant_id!r}.")

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
