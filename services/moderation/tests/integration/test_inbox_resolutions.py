"""A conversation resolved in the inbox closes the review items of its comments still waiting."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from beacon_shared.contracts.inbox import ConversationResolved
from beacon_shared.contracts.moderation import CommentModerated, ModerationAction
from beacon_shared.db import create_sessionmaker
from beacon_shared.events import Envelope
from moderation.audit.models import audit_entry
from moderation.db import outbox
from moderation.decisions.models import decision
from moderation.review.handlers import conversation_resolved
from moderation.review.models import review_item
from moderation.rules import Verdict

pytestmark = pytest.mark.integration

FLAG = Verdict(ModerationAction.flag, "classifier.v0", reasons=["toxicity>0.5"])


async def resolve_in_inbox(engine, tenant, *interaction_ids):
    payload = ConversationResolved(
        conversation_id=uuid.uuid4(),
        brand_id="brand-1",
        interaction_ids=list(interaction_ids),
        resolved_by="user:ann",
        resolved_at=datetime.now(UTC),
    )
    envelope = Envelope.build(payload, tenant_id=tenant, subject="c", source="/beacon/inbox")
    async with create_sessionmaker(engine)() as session, session.begin():
        await conversation_resolved(session, envelope)


async def item_of(engine, tenant, interaction_id):
    async with engine.connect() as conn:
        return (
            await conn.execute(
                select(review_item).where(
                    review_item.c.tenant_id == tenant,
                    review_item.c.interaction_id == interaction_id,
                )
            )
        ).one()


async def revisions(engine, tenant):
    async with engine.connect() as conn:
        values = (await conn.scalars(select(outbox.c.value))).all()
    events = [Envelope.model_validate_json(v) for v in values]
    return [
        e.payload(CommentModerated)
        for e in events
        if e.tenantid == tenant
        and e.type == CommentModerated.event_type
        and e.payload(CommentModerated).replaces_action is not None
    ]


async def test_the_waiting_items_are_approved_in_the_members_name(engine, unique, moderate):
    tenant = unique("tenant")
    waiting = await moderate(tenant, FLAG)
    other = await moderate(tenant, FLAG, thread_external_id="another-post")

    await resolve_in_inbox(engine, tenant, waiting.interaction_id)

    item = await item_of(engine, tenant, waiting.interaction_id)
    assert (item.status, item.resolution, item.resolved_by) == ("resolved", "approve", "user:ann")
    assert (await item_of(engine, tenant, other.interaction_id)).status == "open"
    (revised,) = await revisions(engine, tenant)
    assert (revised.interaction_id, revised.action, revised.replaces_action) == (
        waiting.interaction_id,
        ModerationAction.allow,
        ModerationAction.flag,
    )
    assert (revised.decided_by, revised.reasons) == ("user:ann", ["inbox:resolved"])
    async with engine.connect() as conn:
        kept = await conn.scalar(
            select(decision.c.action).where(
                decision.c.tenant_id == tenant, decision.c.interaction_id == waiting.interaction_id
            )
        )
        audited = (
            await conn.execute(
                select(audit_entry).where(
                    audit_entry.c.tenant_id == tenant, audit_entry.c.event == "review.resolved"
                )
            )
        ).one()
    assert kept == "allow"
    assert (audited.actor, audited.detail["via"]) == ("user:ann", "inbox")


async def test_an_item_already_resolved_is_left_as_its_reviewer_left_it(engine, unique, moderate):
    tenant = unique("tenant")
    waiting = await moderate(tenant, FLAG)
    await resolve_in_inbox(engine, tenant, waiting.interaction_id)
    # The same resolution delivered again, or a later one: nothing more is revised.
    await resolve_in_inbox(engine, tenant, waiting.interaction_id)

    assert len(await revisions(engine, tenant)) == 1
