"""The comment.received handler: one decision and one event per comment, however often it comes."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select

from beacon_shared.contracts.moderation import (
    ActionRequested,
    CommentModerated,
    ModerationAction,
    NetworkAction,
    sentiment_label,
)
from beacon_shared.contracts.topics import COMMENT_MODERATED
from beacon_shared.events import Envelope, MalformedEvent
from moderation.audit.models import audit_entry
from moderation.comments.models import comment as comment_table
from moderation.db import outbox
from moderation.decisions import service as decisions
from moderation.decisions.models import EXCERPT_CHARS, decision
from moderation.decisions.schemas import DecisionOut
from moderation.pipeline.decider import RuleDecider
from moderation.pipeline.handlers import comment_received_handler
from moderation.replies import service as replies
from moderation.replies.schemas import SavedReplyIn
from moderation.review.models import review_item
from moderation.rules import Verdict

pytestmark = pytest.mark.integration

handle = comment_received_handler(RuleDecider())


SCORED = Verdict(
    ModerationAction.escalate,
    "classifier.v0",
    reasons=["toxicity>0.9"],
    scores={"toxicity": 0.93, "spam": 0.01},
    model_version="tox-2026.11",
)


async def decisions_of(session, tenant):
    """The tenant's decisions as the API shows them: with their stored comment."""
    ids = (
        await session.execute(select(decision.c.id).where(decision.c.tenant_id == tenant))
    ).scalars()
    return [
        DecisionOut.from_rows(*await decisions.get(session, tenant_id=tenant, decision_id=id_))
        for id_ in ids
    ]


async def staged_of(session, tenant):
    rows = (
        await session.execute(
            select(outbox.c.topic, outbox.c.key, outbox.c.value).where(
                outbox.c.value.contains(tenant.encode()), outbox.c.topic == COMMENT_MODERATED.name
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


async def test_the_event_carries_the_labels_and_the_comment_s_where_who_and_when(
    db_session, comment, envelope_of, unique
):
    tenant = unique("tenant")
    received = comment("Thank you, I love it!", account_external_id="page-7")
    await handle(db_session, [envelope_of(received, tenant_id=tenant)])
    ((_, _, event),) = await staged_of(db_session, tenant)
    moderated = event.payload(CommentModerated)
    scores = moderated.scores
    # The label is the contract's cut of the score its consumers used to cut themselves.
    assert moderated.sentiment == sentiment_label(scores["sentiment"]) == "positive"
    assert moderated.toxicity is not None
    assert moderated.toxicity.model_dump() == {
        "overall": scores["toxicity"],
        **{kind: scores[kind] for kind in ("insult", "threat", "hate", "obscene")},
    }
    assert (
        moderated.kind,
        moderated.account_external_id,
        moderated.thread_external_id,
        moderated.author_id,
        moderated.comment_created_at,
        moderated.comment_received_at,
    ) == (
        received.kind,
        "page-7",
        "post-1",
        "u-1",
        received.created_at,
        received.received_at,
    )


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


async def test_a_decider_s_scores_and_model_version_are_kept_and_emitted(
    db_session, comment, envelope_of, unique, fixed_decider
):
    tenant = unique("tenant")
    await comment_received_handler(fixed_decider(SCORED))(
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


async def test_a_hidden_comment_is_stored_audited_and_its_hide_requested(
    db_session, comment, envelope_of, unique
):
    tenant = unique("tenant")
    received = comment("Most trustable smm panel on market, cheaper price", account_id="acct-1")
    await handle(db_session, [envelope_of(received, tenant_id=tenant)])

    (stored,) = await decisions_of(db_session, tenant)
    kept = (
        await db_session.execute(select(comment_table).where(comment_table.c.tenant_id == tenant))
    ).one()
    assert kept.text == received.text
    assert kept.classification["spam"] >= 0.75
    assert kept.language == "en"
    rows = await db_session.execute(
        select(outbox.c.value).where(outbox.c.value.contains(tenant.encode()))
    )
    events = [Envelope.model_validate_json(row.value) for row in rows]
    (request,) = [
        e.payload(ActionRequested) for e in events if e.type == ActionRequested.event_type
    ]
    assert (request.action, request.decision_id, request.account_id) == (
        NetworkAction.hide,
        stored.id,
        "acct-1",
    )
    (audited,) = (
        await db_session.execute(
            select(audit_entry).where(
                audit_entry.c.tenant_id == tenant, audit_entry.c.event == "decision"
            )
        )
    ).all()
    assert (audited.actor, audited.action, audited.rule_set_version) == (
        "rule:default.spam",
        "hide",
        "0",
    )
    assert audited.scores["spam"] == stored.scores["spam"]


ODD_TEXTS = [
    "",
    "🔥🔥🔥😍",
    "x" * 100_000,
    "Hello мир مرحبا 世界",
    "f\u200bu\u200bc\u200bk you",
    "you are an 1d10t",
    "ᚠᚢᚦᚨᚱᚲ ᚷᚹᚺᚾ",
    "שלום, מה שלומך? \u202eevil",
]


async def test_odd_texts_each_get_a_decision(db_session, comment, envelope_of, unique):
    tenant = unique("tenant")
    envelopes = [envelope_of(comment(text), tenant_id=tenant) for text in ODD_TEXTS]
    await handle(db_session, envelopes)
    stored = await decisions_of(db_session, tenant)
    assert len(stored) == len(ODD_TEXTS)
    by_text = {row.text_excerpt: row.action for row in stored}
    assert by_text["you are an 1d10t"] == "flag"
    assert by_text["🔥🔥🔥😍"] == "allow"


# A link alone is weak evidence (0.35); the same text from three authors makes it a campaign.
CAMPAIGN = "Bring back the spring collection in stores, we all signed the petition: bringitback.org"


async def test_the_same_long_text_from_many_authors_is_hidden_as_a_campaign(
    db_session, comment, envelope_of, unique
):
    tenant = unique("tenant")

    def by(author, text=CAMPAIGN):
        return envelope_of(comment(text, author={"network_id": author}), tenant_id=tenant)

    await handle(db_session, [by("a1"), by("a1", CAMPAIGN.upper() + "!!")])
    await handle(
        db_session,
        [
            by(
                "a2",
                "  bring back the SPRING collection in stores... "
                "we all signed the petition: BRINGITBACK.org",
            )
        ],
    )
    first = await decisions_of(db_session, tenant)
    assert {row.action for row in first} == {"allow"}

    await handle(db_session, [by("a3")])
    latest = max(await decisions_of(db_session, tenant), key=lambda row: row.decided_at)
    assert latest.action == "hide"
    assert "spam:copied_by_many" in latest.reasons


async def test_short_texts_said_by_many_are_not_a_campaign(
    db_session, comment, envelope_of, unique
):
    tenant = unique("tenant")
    envelopes = [
        envelope_of(
            comment("Love this so much!", author={"network_id": f"fan-{i}"}), tenant_id=tenant
        )
        for i in range(6)
    ]
    await handle(db_session, envelopes)
    assert {row.action for row in await decisions_of(db_session, tenant)} == {"allow"}


async def test_customers_asking_the_same_question_are_not_a_campaign(
    db_session, comment, envelope_of, unique
):
    tenant = unique("tenant")
    question = "Is the blue hoodie back in stock in size M?"
    envelopes = [
        envelope_of(comment(question, author={"network_id": f"c-{i}"}), tenant_id=tenant)
        for i in range(5)
    ]
    await handle(db_session, envelopes)
    assert {row.action for row in await decisions_of(db_session, tenant)} == {"allow"}


async def requested_actions(session, tenant):
    rows = await session.execute(
        select(outbox.c.value).where(
            outbox.c.value.contains(tenant.encode()), outbox.c.topic == "action.requested"
        )
    )
    return [Envelope.model_validate_json(row.value).payload(ActionRequested) for row in rows]


async def test_a_rule_s_saved_reply_is_filled_in_and_requested_with_the_hide(
    db_session, comment, envelope_of, unique, fixed_decider
):
    tenant = unique("tenant")
    saved = await replies.create(
        db_session,
        tenant_id=tenant,
        data=SavedReplyIn(name="spam", body="Hi {author_name}, we removed a link."),
    )
    verdict = Verdict(ModerationAction.hide, "brand.links", reply_with=saved.id)
    received = comment(author={"network_id": "u-7", "display_name": "Dana"})
    await comment_received_handler(fixed_decider(verdict))(
        db_session, [envelope_of(received, tenant_id=tenant)]
    )
    requests = await requested_actions(db_session, tenant)
    assert sorted((r.action.value, r.reply_text) for r in requests) == [
        ("hide", None),
        ("reply", "Hi Dana, we removed a link."),
    ]


async def test_a_rule_s_deleted_saved_reply_sends_the_comment_to_review(
    db_session, comment, envelope_of, unique, fixed_decider
):
    tenant = unique("tenant")
    verdict = Verdict(ModerationAction.allow, "brand.thanks", reply_with=uuid.uuid4())
    received = comment("Thanks, love it")
    await comment_received_handler(fixed_decider(verdict))(
        db_session, [envelope_of(received, tenant_id=tenant)]
    )
    assert await requested_actions(db_session, tenant) == []
    (item,) = (
        await db_session.execute(select(review_item).where(review_item.c.tenant_id == tenant))
    ).all()
    assert (item.reason, item.interaction_id) == ("reply_missing", received.interaction_id)


async def test_the_decision_says_what_the_author_wants(db_session, comment, envelope_of, unique):
    tenant = unique("tenant")
    asked = comment("Where can I buy this? Is it in stock?")
    await handle(db_session, [envelope_of(asked, tenant_id=tenant)])

    rows = await db_session.execute(
        select(outbox.c.value).where(outbox.c.value.contains(tenant.encode()))
    )
    events = [Envelope.model_validate_json(row.value) for row in rows]
    (moderated,) = [
        e.payload(CommentModerated) for e in events if e.type == CommentModerated.event_type
    ]
    assert moderated.intents == ["question", "purchase_intent"]
