"""A rule's assignee gets the comments it sends to review only while they may moderate the brand."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from beacon_shared.contracts.moderation import ModerationAction
from moderation.review.models import review_item
from moderation.rules import Verdict

pytestmark = pytest.mark.integration


def escalated_to(assignee: object) -> Verdict:
    return Verdict(ModerationAction.escalate, "support", assign_to=str(assignee))


async def item_of(engine, tenant, received):
    async with engine.connect() as conn:
        return (
            await conn.execute(
                select(
                    review_item.c.status, review_item.c.assignee, review_item.c.assigned_by
                ).where(
                    review_item.c.tenant_id == tenant,
                    review_item.c.interaction_id == received.interaction_id,
                )
            )
        ).one()


@pytest.fixture
async def tenant(unique, register_brands):
    tenant = unique("tenant")
    await register_brands(tenant, "brand-1", "brand-2")
    return tenant


async def test_a_member_who_moderates_the_brand_gets_the_item(engine, member, moderate, tenant):
    sam = await member(tenant, "agent", {"brand-1": "agent"})
    received = await moderate(tenant, escalated_to(sam.user_id), brand_id="brand-1")
    assert tuple(await item_of(engine, tenant, received)) == (
        "claimed",
        str(sam.user_id),
        "rule:support",
    )


async def test_anyone_else_leaves_the_item_open_in_the_queue(engine, member, moderate, tenant):
    elsewhere = await member(tenant, "agent", {"brand-2": "agent"})
    for assignee in (elsewhere.user_id, "support-lead"):
        received = await moderate(tenant, escalated_to(assignee), brand_id="brand-1")
        assert tuple(await item_of(engine, tenant, received)) == ("open", None, None)
