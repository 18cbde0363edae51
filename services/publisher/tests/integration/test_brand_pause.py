"""The circuit breaker: bad-buzz alerts pause the queue of brands that asked for it."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.fernet import Fernet
from pydantic import SecretStr
from sqlalchemy import select, update

from beacon_shared.contracts.analytics import AlertKind, AlertRaised, AlertResolved
from beacon_shared.crypto import SecretBox
from beacon_shared.egress import EgressPolicy
from beacon_shared.events import Envelope
from beacon_shared.testing.brands import workspace_brand
from publisher.authoring.models import post
from publisher.brands import service as brands
from publisher.brands.handlers import alert_raised, alert_resolved, alerts_consumer
from publisher.delivery import service as delivery
from publisher.delivery.models import post_target
from publisher.webhooks import service as webhooks
from publisher.webhooks.models import webhook_delivery
from publisher.webhooks.schemas import EndpointIn

pytestmark = pytest.mark.integration

BOX = SecretBox(SecretStr(Fernet.generate_key().decode()), setting="PUBLISHER_CREDENTIALS_KEY")
LEASE = timedelta(seconds=30)
RAISED_AT = datetime(2026, 11, 24, 10, 7, tzinfo=UTC)
# Older than anything other tests leave due, so a claim reaches these first.
DUE = datetime(2001, 1, 1, tzinfo=UTC)


@pytest.fixture
def tenant(unique) -> str:
    return unique("tenant")


@pytest.fixture
def make_due(db_session, seed, tenant):
    """`await make_due(brand_id)`: a scheduled post of the tenant's brand, due long ago; its one
    target's id."""

    async def make(brand_id: str) -> uuid.UUID:
        seeded = await seed(due_at=DUE)
        await db_session.execute(
            update(post)
            .where(post.c.id == seeded.post_id)
            .values(tenant_id=tenant, brand_id=brand_id)
        )
        await db_session.execute(
            update(post_target)
            .where(post_target.c.post_id == seeded.post_id)
            .values(tenant_id=tenant)
        )
        return seeded.target_ids[0]

    return make


async def claimed(session, targets: list[uuid.UUID]) -> set[uuid.UUID]:
    """Which of `targets` one claim takes."""
    rows = await delivery.claim_due(
        session, now=datetime.now(UTC), lease=LEASE, worker_id="w", limit=10_000
    )
    return {row.target_id for row in rows} & set(targets)


def raised(tenant_id: str, brand_id: str, alert_id: uuid.UUID | None = None) -> Envelope:
    payload = AlertRaised(
        alert_id=alert_id or uuid.uuid4(),
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


def resolved(tenant_id: str, of: Envelope) -> Envelope:
    payload = AlertResolved(
        alert_id=of.data["alert_id"],
        brand_id=of.data["brand_id"],
        kind=AlertKind.negative_sentiment,
        resolved_by="baseline",
        resolved_at=RAISED_AT + timedelta(minutes=30),
    )
    return Envelope.build(
        payload, tenant_id=tenant_id, subject=of.subject, source="/beacon/analytics"
    )


async def configure(session, tenant_id: str, brand_id: str, *, pause_on_alert: bool) -> None:
    await brands.configure(
        session,
        tenant_id=tenant_id,
        brand=workspace_brand(brand_id, pause_on_alert=pause_on_alert),
    )


class TestClaims:
    async def test_a_paused_brand_s_due_post_waits_until_the_alert_is_resolved(
        self, db_session, tenant, make_due
    ):
        await configure(db_session, tenant, "brand-1", pause_on_alert=True)
        target = await make_due("brand-1")
        alert = raised(tenant, "brand-1")

        await alert_raised(db_session, alert)
        assert await claimed(db_session, [target]) == set()

        await alert_resolved(db_session, resolved(tenant, alert))
        assert await claimed(db_session, [target]) == {target}

    async def test_another_brand_of_the_tenant_is_unaffected(self, db_session, tenant, make_due):
        await configure(db_session, tenant, "brand-1", pause_on_alert=True)
        await configure(db_session, tenant, "brand-2", pause_on_alert=True)
        paused, other = await make_due("brand-1"), await make_due("brand-2")

        await alert_raised(db_session, raised(tenant, "brand-1"))

        assert await claimed(db_session, [paused, other]) == {other}

    async def test_the_same_brand_of_another_tenant_is_unaffected(
        self, db_session, tenant, make_due, unique
    ):
        await configure(db_session, tenant, "brand-1", pause_on_alert=True)
        target = await make_due("brand-1")

        await alert_raised(db_session, raised(unique("other-tenant"), "brand-1"))

        assert await claimed(db_session, [target]) == {target}

    async def test_a_brand_without_pause_on_alert_keeps_publishing(
        self, db_session, tenant, make_due
    ):
        await configure(db_session, tenant, "brand-1", pause_on_alert=False)
        configured_off = await make_due("brand-1")
        never_configured = await make_due("brand-3")

        await alert_raised(db_session, raised(tenant, "brand-1"))
        await alert_raised(db_session, raised(tenant, "brand-3"))

        assert await claimed(db_session, [configured_off, never_configured]) == {
            configured_off,
            never_configured,
        }

    async def test_turning_pause_on_alert_on_during_an_alert_pauses_at_once(
        self, db_session, tenant, make_due
    ):
        target = await make_due("brand-1")
        await alert_raised(db_session, raised(tenant, "brand-1"))
        await configure(db_session, tenant, "brand-1", pause_on_alert=True)
        assert await claimed(db_session, [target]) == set()

    async def test_the_queue_stays_paused_while_any_alert_is_open(
        self, db_session, tenant, make_due
    ):
        await configure(db_session, tenant, "brand-1", pause_on_alert=True)
        target = await make_due("brand-1")
        first, second = raised(tenant, "brand-1"), raised(tenant, "brand-1")
        await alert_raised(db_session, first)
        await alert_raised(db_session, second)

        await alert_resolved(db_session, resolved(tenant, first))
        assert await claimed(db_session, [target]) == set()
        await alert_resolved(db_session, resolved(tenant, second))
        assert await claimed(db_session, [target]) == {target}

    async def test_a_resolution_arriving_before_its_alert_leaves_the_brand_unpaused(
        self, db_session, tenant, make_due
    ):
        await configure(db_session, tenant, "brand-1", pause_on_alert=True)
        target = await make_due("brand-1")
        alert = raised(tenant, "brand-1")

        await alert_resolved(db_session, resolved(tenant, alert))
        await alert_raised(db_session, alert)

        assert await claimed(db_session, [target]) == {target}
        state = await brands.publishing(db_session, tenant_id=tenant, brand_id="brand-1")
        assert state.paused_by_alert is False


class TestSettings:
    async def test_the_settings_show_the_pause_and_the_alert_behind_it(self, db_session, tenant):
        await configure(db_session, tenant, "brand-1", pause_on_alert=True)
        alert = raised(tenant, "brand-1")
        await alert_raised(db_session, alert)

        state = await brands.publishing(db_session, tenant_id=tenant, brand_id="brand-1")

        assert state.paused_by_alert is True
        (open_alert,) = state.open_alerts
        assert str(open_alert.alert_id) == alert.data["alert_id"]
        assert open_alert.since == RAISED_AT


class TestWebhooks:
    async def test_every_alert_and_its_resolution_become_webhooks(self, db_session, tenant):
        created = await webhooks.create_endpoint(
            db_session,
            tenant_id=tenant,
            body=EndpointIn(
                url="https://hooks.example.com/beacon",
                event_types=["alert.raised", "alert.resolved"],
            ),
            box=BOX,
            egress=EgressPolicy(),
        )
        await configure(db_session, tenant, "brand-1", pause_on_alert=True)
        alert = raised(tenant, "brand-1")

        await alert_raised(db_session, alert)
        await alert_resolved(db_session, resolved(tenant, alert))

        rows = (
            await db_session.execute(
                select(webhook_delivery.c.event_type, webhook_delivery.c.payload)
                .where(webhook_delivery.c.endpoint_id == created.endpoint.id)
                .order_by(webhook_delivery.c.created_at, webhook_delivery.c.event_type.desc())
            )
        ).all()
        assert [r.event_type for r in rows] == ["alert.raised", "alert.resolved"]
        raised_body, resolved_body = (r.payload["data"] for r in rows)
        assert raised_body["alert_id"] == alert.data["alert_id"]
        assert raised_body["kind"] == "negative_sentiment"
        assert raised_body["publishing_paused"] is True
        assert resolved_body["resolved_by"] == "baseline"
        assert resolved_body["publishing_paused"] is False


def test_the_consumer_reads_both_alert_topics():
    consumer = alerts_consumer()
    assert set(consumer.topics) == {"alert.raised", "alert.resolved"}
    assert consumer.handles(AlertRaised.event_type)
    assert consumer.handles(AlertResolved.event_type)
