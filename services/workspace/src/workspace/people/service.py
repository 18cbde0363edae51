"""Members' rules: who may change whom, and the record of every change."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from beacon_shared.auth import members
from beacon_shared.auth.members import AnyRow
from beacon_shared.auth.principal import Principal
from beacon_shared.auth.roles import OWNER
from beacon_shared.pagination import Cursor, split_page
from workspace.audit.service import record
from workspace.people.exceptions import OwnerRequired
from workspace.people.schemas import MemberOut


def require_owner_for(principal: Principal, *roles: str) -> None:
    """Granting or taking away the owner role is for a signed-in owner (or their personal
    token) only: an admin or an organization key could otherwise make itself untouchable."""
    if OWNER in roles and principal.role != OWNER:
        raise OwnerRequired("Only an owner may give, change or take away the owner role.")


async def _out(session: AsyncSession, tenant_id: str, rows: Sequence[AnyRow]) -> list[MemberOut]:
    roles = await members.brand_roles_of(
        session, tenant_id=tenant_id, user_ids=[r.id for r in rows]
    )
    return [MemberOut.from_row(r, roles.get(r.id, {})) for r in rows]


async def list_page(
    session: AsyncSession, *, tenant_id: str, cursor: str | None, limit: int
) -> tuple[list[MemberOut], str | None]:
    """One page of the organization's members, in the order they joined."""
    rows = await members.list_members(
        session,
        tenant_id=tenant_id,
        after=Cursor.decode(cursor) if cursor else None,
        limit=limit + 1,
    )
    page, next_cursor = split_page(rows, limit, at="created_at")
    return await _out(session, tenant_id, page), next_cursor


async def get(session: AsyncSession, *, tenant_id: str, user_id: UUID) -> MemberOut:
    """One member, or MemberNotFound."""
    row = await members.get_member(session, tenant_id=tenant_id, user_id=user_id)
    return (await _out(session, tenant_id, [row]))[0]


async def change(
    session: AsyncSession,
    *,
    principal: Principal,
    user_id: UUID,
    role: str | None,
    brand_roles: Mapping[str, str] | None,
) -> MemberOut:
    """Give a member another role, other brand roles, or both; the organization keeps an owner
    (409 last_owner)."""
    tenant_id = principal.tenant_id
    current = await members.get_member(session, tenant_id=tenant_id, user_id=user_id)
    if role is not None:
        require_owner_for(principal, current.role, role)
        before, _ = await members.change_role(
            session, tenant_id=tenant_id, user_id=user_id, role=role
        )
        await record(
            session,
            tenant_id=tenant_id,
            actor=principal.actor,
            action="member.role_changed",
            target=f"user:{user_id}",
            detail={"from": before, "to": role},
        )
    if brand_roles is not None:
        require_owner_for(principal, current.role)
        previous = await members.set_brand_roles(
            session, tenant_id=tenant_id, user_id=user_id, roles=brand_roles
        )
        await record(
            session,
            tenant_id=tenant_id,
            actor=principal.actor,
            action="member.brand_roles_changed",
            target=f"user:{user_id}",
            detail={"from": previous, "to": dict(brand_roles)},
        )
    return await get(session, tenant_id=tenant_id, user_id=user_id)


async def remove(session: AsyncSession, *, principal: Principal, user_id: UUID) -> None:
    """Take a member out (their personal tokens are revoked); never the last owner."""
    current = await members.get_member(session, tenant_id=principal.tenant_id, user_id=user_id)
    require_owner_for(principal, current.role)
    role = await members.remove_member(session, tenant_id=principal.tenant_id, user_id=user_id)
    await record(
        session,
        tenant_id=principal.tenant_id,
        actor=principal.actor,
        action="member.removed",
        target=f"user:{user_id}",
        detail={"role": role},
    )
