"""The comment.received handler: one decision and one event per comment, however often it comes."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from beacon_shared.contracts.moderation import CommentModerated, ModerationAction
from beacon_shared.contracts.topics import COMMENT_MODERATED
from beacon_shared.events import Envelope, MalformedEvent
from moderation.db import outbox
from moderation.decisions.handlers import comment_received_handler
from moderation.decisions.models import EXCERPT_CHARS, decision
from moderation.rules import DefaultPolicy, Verdict

pytestmark = pytest.mark.integration

handle = comment_received_handler(DefaultPolicy())


class ScoringPolicy:
    """Stands in for a classifier: fixed verdict with scores and a model version."""

    def decide_many(self, comments):
        return [
            Verdict(
                ModerationAction.escalate,
                "classifier.v0",
                reasons=["toxicity>0.9"],
                scores={"toxicity": 0.93, "spam": 0.01},
                model_version="tox-2026.11",
            )
            for _ in comments
        ]


async def decisions_of(session, tenant):
    return (await session.execute(select(decision).where(decision.c.tenant_id == tenant))).all()


async def staged_of(session, tenant):
    rows = (
        await session.execute(
            select(outbox.c.topic, outbox.c.key, outbox.c.value).where(
                outbox.c.value.contains(tenant.encode())
            )
        )
    ).all()
    return [(row.topic, row.key, Envelope.model_validate_json(row.value)) for row in rows]


async def test_a_comment_gets_one_decision_and_one_staged_event(
    db_session, comment, envelope_of, unique
):
    tenant = unique("tenant")
    received = comment("Best smm panel, cheap price!!", thread_external_id="post-9")
    incoming = envelope_of(received, tenant_id=tenant)

    await handle(db_session, [incoming])

    (stored,) = await decisions_of(db_session, tenant)
    assert stored.interaction_id == received.interaction_id
    assert stored.action == "hide"
    assert stored.decided_by == "rule:default.spam"
    assert stored.reasons == ["spam:smm_panel", "spam:cheap_price"]
    assert (stored.author_handle, stored.kind, stored.brand_id) == ("alice", "comment", "brand-1")
    assert stored.text_excerpt == "Best smm panel, cheap price!!"
    ((topic, key, event),) = await staged_of(db_session, tenant)
    assert (topic, key) == (COMMENT_MODERATED.name, "post-9")
    assert event.causationid == str(incoming.id)
    assert event.correlationid == incoming.correlationid
    assert event.subject == str(stored.id)
    moderated = event.payload(CommentModerated)
    assert moderated.decision_id == stored.id
    assert moderated.action is ModerationAction.hide
    assert moderated.external_id == received.external_id


async def test_a_comment_without_thread_is_keyed_by_its_external_id(
    db_session, comment, envelope_of, unique
):
    tenant = unique("tenant")
    received = comment(thread_external_id=None)
    await handle(db_session, [envelope_of(received, tenant_id=tenant)])
    ((_, key, _),) = await staged_of(db_session, tenant)
    assert key == received.external_id


async def test_the_same_envelope_twice_records_nothing_new(
    db_session, comment, envelope_of, unique
):
    tenant = unique("tenant")
    incoming = envelope_of(comment(), tenant_id=tenant)
    await handle(db_session, [incoming])
    await handle(db_session, [incoming])
    assert len(await decisions_of(db_session, tenant)) == 1
    assert len(await staged_of(db_session, tenant)) == 1


async def test_the_same_comment_in_new_envelopes_records_nothing_new(
    db_session, comment, envelope_of, unique
):
    tenant = unique("tenant")
    received = comment()
    await handle(db_session, [envelope_of(received, tenant_id=tenant)])
    await handle(
        db_session,
        [envelope_of(received, tenant_id=tenant), envelope_of(received, tenant_id=tenant)],
    )
    assert len(await decisions_of(db_session, tenant)) == 1
    assert len(await staged_of(db_session, tenant)) == 1


async def test_the_same_interaction_id_in_two_tenants_is_decided_in_each(
    db_session, comment, envelope_of, unique
):
    received = comment()
    first, second = unique("tenant"), unique("tenant")
    await handle(
        db_session,
        [envelope_of(received, tenant_id=first), envelope_of(received, tenant_id=second)],
    )
    assert len(await decisions_of(db_session, first)) == 1
    assert len(await decisions_of(db_session, second)) == 1


async def test_a_batch_records_each_comment(db_session, comment, envelope_of, unique):
    tenant = unique("tenant")
    texts = ["hello", "you idiot", "follow for follow"]
    await handle(db_session, [envelope_of(comment(t), tenant_id=tenant) for t in texts])
    stored = await decisions_of(db_session, tenant)
    assert sorted(row.action for row in stored) == ["allow", "flag", "hide"]
    assert len(await staged_of(db_session, tenant)) == 3


async def test_long_text_is_stored_as_an_excerpt(db_session, comment, envelope_of, unique):
    tenant = unique("tenant")
    await handle(db_session, [envelope_of(comment("a" * 100_000), tenant_id=tenant)])
    (stored,) = await decisions_of(db_session, tenant)
    assert stored.text_excerpt == "a" * EXCERPT_CHARS


async def test_a_policy_s_scores_and_model_version_are_kept_and_emitted(
    db_session, comment, envelope_of, unique
):
    tenant = unique("tenant")
    await comment_received_handler(ScoringPolicy())(
        db_session, [envelope_of(comment(), tenant_id=tenant)]
    )
    (stored,) = await decisions_of(db_session, tenant)
    assert stored.scores == {"toxicity": 0.93, "spam": 0.01}
    assert stored.model_version == "tox-2026.11"
    assert stored.decided_by == "rule:classifier.v0"
    ((_, _, event),) = await staged_of(db_session, tenant)
    moderated = event.payload(CommentModerated)
    assert moderated.scores == {"toxicity": 0.93, "spam": 0.01}
    assert moderated.action is ModerationAction.escalate


async def test_a_payload_off_contract_is_a_malformed_event_and_writes_nothing(
    db_session, comment, envelope_of, unique
):
    tenant = unique("tenant")
    good = envelope_of(comment(), tenant_id=tenant)
    broken = good.model_copy(update={"data": {**good.data, "interaction_id": "not-a-uuid"}})

    with pytest.raises(MalformedEvent, match="CommentReceived"):
        await handle(db_session, [good, broken])

    assert await decisions_of(db_session, tenant) == []
    assert await staged_of(db_session, tenant) == []
