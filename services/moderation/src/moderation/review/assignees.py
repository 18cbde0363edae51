"""Who may be given a review item: a member of the organization who may moderate its brand.

Read from `iam` at the time of the assignment (`beacon_shared.auth.assignees`), as the inbox does
for conversations.
"""

from __future__ import annotations

from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from beacon_shared.auth.assignees import member_holds
from moderation.access import WRITE
from moderation.review.exceptions import AssigneeNotAllowed


async def may_moderate(
    session: AsyncSession, *, tenant_id: str, brand_id: str | None, user_id: UUID
) -> bool:
    """Whether `user_id` is a member whose roles grant `moderation:write` on `brand_id` (on every
    brand, for an item without one)."""
    return await member_holds(
        session, tenant_id=tenant_id, brand_id=brand_id, user_id=user_id, scope=WRITE
    )


async def check(
    session: AsyncSession, *, tenant_id: str, brand_id: str | None, user_id: UUID
) -> None:
    """Refuse (AssigneeNotAllowed) anyone but a member who may moderate `brand_id`."""
    if not await may_moderate(session, tenant_id=tenant_id, brand_id=brand_id, user_id=user_id):
        where = f"the brand {brand_id!r}" if brand_id is not None else "every brand"
        raise AssigneeNotAllowed(
            f"{user_id} is not a member of this organization who may moderate {where}."
        )
