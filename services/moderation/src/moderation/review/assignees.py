"""Who may be given a review item: a member of the organization who may moderate its brand.

Read from `iam` (memberships and brand roles) at the time of the assignment, so a member removed or
limited to other brands is refused at once, not after a cache period.
"""

from __future__ import annotations

from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from beacon_shared.auth.brands import member_access
from beacon_shared.auth.members import MemberNotFound, brand_roles_of, get_member
from moderation.access import WRITE
from moderation.review.exceptions import AssigneeNotAllowed


async def may_moderate(
    session: AsyncSession, *, tenant_id: str, brand_id: str | None, user_id: UUID
) -> bool:
    """Whether `user_id` is a member whose roles grant `moderation:write` on `brand_id` (on every
    brand, for an item without one)."""
    try:
        member = await get_member(session, tenant_id=tenant_id, user_id=user_id)
    except MemberNotFound:
        return False
    roles = await brand_roles_of(session, tenant_id=tenant_id, user_ids=[user_id])
    scopes, per_brand = member_access(member.role, roles.get(user_id, {}))
    if per_brand is not None:
        scopes = per_brand.get(brand_id, frozenset()) if brand_id is not None else frozenset()
    return "*" in scopes or WRITE in scopes


async def check(
    session: AsyncSession, *, tenant_id: str, brand_id: str | None, user_id: UUID
) -> None:
    """Refuse (AssigneeNotAllowed) anyone but a member who may moderate `brand_id`."""
    if not await may_moderate(session, tenant_id=tenant_id, brand_id=brand_id, user_id=user_id):
        where = f"the brand {brand_id!r}" if brand_id is not None else "every brand"
        raise AssigneeNotAllowed(
            f"{user_id} is not a member of this organization who may moderate {where}."
        )
