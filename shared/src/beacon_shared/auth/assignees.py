"""Whom work on a brand may be given: a member whose roles grant a scope there.

Read from `iam` (memberships and brand roles) at the time of the assignment, so a member removed or
limited to other brands is refused at once, not after a cache period.
"""

from __future__ import annotations

from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from beacon_shared.auth.brands import member_access
from beacon_shared.auth.members import MemberNotFound, brand_roles_of, get_member


async def member_holds(
    session: AsyncSession, *, tenant_id: str, brand_id: str | None, user_id: UUID, scope: str
) -> bool:
    """Whether `user_id` is a member whose roles grant `scope` on `brand_id` (on every brand,
    for what has none)."""
    try:
        member = await get_member(session, tenant_id=tenant_id, user_id=user_id)
    except MemberNotFound:
        return False
    roles = await brand_roles_of(session, tenant_id=tenant_id, user_ids=[user_id])
    scopes, per_brand = member_access(member.role, roles.get(user_id, {}))
    if per_brand is not None:
        scopes = per_brand.get(brand_id, frozenset()) if brand_id is not None else frozenset()
    return "*" in scopes or scope in scopes
