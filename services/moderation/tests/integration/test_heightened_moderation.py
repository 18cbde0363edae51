"""Bad-buzz alerts from analytics: kept per brand, audited, and read by the decider."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from beacon_shared.contracts.analytics import AlertKind, AlertRaised, AlertResolved
from beacon_shared.contracts.moderation import ModerationAction
from beacon_shared.events import Envelope
from moderation.alerts import service
from moderation.alerts.handlers import alert_raised, alert_resolved, alerts_consumer
from moderation.audit.models import audit_entry
from moderation.decisions.models import decision
from moderation.pipeline.decider import RuleDecider
from moderation.pipeline.handlers import comment_received_handler
from moderation.review.models import review_item

pytestmark = pytest.mark.integration

handle_comments = comment_received_handler(RuleDecider())
RAISED_AT = datetime(2026, 11, 24, 10, 7, tzinfo=UTC)
NEGATIVE = "Really disappointed, the delivery was late and the support was terrible."
POSITIVE = "Love it, thank you so much for the quick delivery!"


def raised(tenant_id: str, brand_id: str = "brand-1") -> Envelope:
    payload = AlertRaised(
        alert_id=uuid.uuid4(),
        brand_id=brand_id,
        kind=AlertKind.negative_sentiment,
        value=40,
        baseline=3,
        score=21.4,
        window_start=RAISED_AT - timedelta(minutes=7),
        window_end=RAISED_AT - timedelta(minutes=2),
        raised_at=RAISED_AT,
    )
    return Envelope.build(
        payload, tenant_id=tenant_id, subject=brand_id, source="/beacon/analytics"
    )


def resolved(of: Envelope, *, by: str = "baseline") -> Envelope:
    payload = AlertResolved(
        alert_id=of.data["alert_id"],
        brand_id=of.data["brand_id"],
        kind=AlertKind.negative_sentiment,
        resolved_by=by,
        resolved_at=RAISED_AT + timedelta(minutes=30),
    )
    return Envelope.build(
        payload, tenant_id=of.tenantid, subject=of.subject, source="/beacon/analytics"
    )


@pytest.fixture
def tenant(unique) -> str:
    return unique("tenant")


@pytest.fixture
def moderate_text(db_session, comment, envelope_of, tenant):
    """`await moderate_text(text, brand_id=...)`: the stored decision of one new comment."""

    async def run(text: str, *, brand_id: str = "brand-1"):
        received = comment(text, brand_id=brand_id)
        await handle_comments(db_session, [envelope_of(received, tenant_id=tenant)])
        return (
            await db_session.execute(
                select(decision).where(
                    decision.c.tenant_id == tenant,
                    decision.c.interaction_id == received.interaction_id,
                )
            )
        ).one()

    return run


async def audit_of(session, tenant: str):
    return (
        await session.execute(
            select(audit_entry)
            .where(audit_entry.c.tenant_id == tenant, audit_entry.c.event.like("alert.%"))
            .order_by(audit_entry.c.at)
        )
    ).all()


class TestDeciding:
    async def test_the_rules_alone_allow_the_negative_comment(self, moderate_text):
        assert (await moderate_text(NEGATIVE)).action == ModerationAction.allow.value

    async def test_an_open_alert_sends_the_brand_s_negative_comments_to_review(
        self, db_session, tenant, moderate_text
    ):
        await alert_raised(db_session, raised(tenant))

        flagged = await moderate_text(NEGATIVE)

        assert flagged.action == ModerationAction.flag.value
        assert flagged.decided_by == "rule:bad_buzz.review"
        assert "bad_buzz:negative" in flagged.reasons
        (queued,) = (
            await db_session.execute(
                select(review_item).where(review_item.c.decision_id == flagged.id)
            )
        ).all()
        assert "bad_buzz" in queued.labels

    async def test_positive_comments_and_other_brands_are_unaffected(
        self, db_session, tenant, moderate_text
    ):
        await alert_raised(db_session, raised(tenant))

        assert (await moderate_text(POSITIVE)).action == ModerationAction.allow.value
        other = await moderate_text(NEGATIVE, brand_id="brand-2")
        assert other.action == ModerationAction.allow.value

    async def test_once_resolved_the_rules_alone_decide_again(
        self, db_session, tenant, moderate_text
    ):
        alert = raised(tenant)
        await alert_raised(db_session, alert)
        await alert_resolved(db_session, resolved(alert))

        assert (await moderate_text(NEGATIVE)).action == ModerationAction.allow.value


class TestKeepingAlerts:
    async def test_raising_and_resolving_are_audited_with_the_mode_after_each(
        self, db_session, tenant
    ):
        alert = raised(tenant)
        await alert_raised(db_session, alert)
        await alert_resolved(db_session, resolved(alert, by="user:ann"))

        opened, closed = await audit_of(db_session, tenant)
        assert (opened.event, opened.actor, opened.brand_id) == (
            "alert.raised",
            "analytics",
            "brand-1",
        )
        assert opened.detail["alert_id"] == alert.data["alert_id"]
        assert opened.detail["heightened"] is True
        assert (closed.event, closed.actor) == ("alert.resolved", "user:ann")
        assert closed.detail["heightened"] is False

    async def test_a_redelivered_alert_is_recorded_once(self, db_session, tenant):
        alert = raised(tenant)
        await alert_raised(db_session, alert)
        await alert_raised(db_session, alert)
        await alert_resolved(db_session, resolved(alert))
        await alert_resolved(db_session, resolved(alert))

        assert [e.event for e in await audit_of(db_session, tenant)] == [
            "alert.raised",
            "alert.resolved",
        ]

    async def test_a_resolution_arriving_first_keeps_the_brand_relaxed(self, db_session, tenant):
        alert = raised(tenant)
        await alert_resolved(db_session, resolved(alert))
        await alert_raised(db_session, alert)

        mode = await service.mode(db_session, tenant_id=tenant, brand_id="brand-1")
        assert mode.heightened is False

    async def test_the_brand_stays_heightened_while_any_alert_is_open(self, db_session, tenant):
        first, second = raised(tenant), raised(tenant)
        await alert_raised(db_session, first)
        await alert_raised(db_session, second)
        await alert_resolved(db_session, resolved(first))

        mode = await service.mode(db_session, tenant_id=tenant, brand_id="brand-1")
        assert mode.heightened is True
        assert [str(a.alert_id) for a in mode.open_alerts] == [second.data["alert_id"]]


def test_the_consumer_reads_both_alert_topics():
    consumer = alerts_consumer()
    assert set(consumer.topics) == {"alert.raised", "alert.resolved"}
    assert consumer.handles(AlertRaised.event_type)
    assert consumer.handles(AlertResolved.event_type)
