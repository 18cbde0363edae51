"""Analytics' scheduled reports become `report.generated` webhooks for the brand's endpoints."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from cryptography.fernet import Fernet
from pydantic import SecretStr
from sqlalchemy import select

from beacon_shared.contracts.analytics import ReportGenerated
from beacon_shared.crypto import SecretBox
from beacon_shared.egress import EgressPolicy
from beacon_shared.events import Envelope
from publisher.reports.handlers import report_generated, reports_consumer
from publisher.webhooks import service as webhooks
from publisher.webhooks.models import webhook_delivery
from publisher.webhooks.schemas import WEBHOOK_EVENT_TYPES, EndpointIn
from publisher.worker import spec

pytestmark = pytest.mark.integration

BOX = SecretBox(SecretStr(Fernet.generate_key().decode()), setting="PUBLISHER_CREDENTIALS_KEY")


def generated(tenant_id: str, brand_id: str) -> Envelope:
    report_id = uuid.uuid4()
    payload = ReportGenerated(
        report_id=report_id,
        brand_id=brand_id,
        period_start=datetime(2026, 11, 15, 23, tzinfo=UTC),
        period_end=datetime(2026, 11, 22, 23, tzinfo=UTC),
        formats=["csv", "pdf"],
        path=f"/v1/reports/{report_id}",
        generated_at=datetime(2026, 11, 23, 7, tzinfo=UTC),
    )
    return Envelope.build(
        payload, tenant_id=tenant_id, subject=brand_id, source="/beacon/analytics"
    )


async def endpoint(session, tenant_id: str, **subscription: list[str]) -> uuid.UUID:
    created = await webhooks.create_endpoint(
        session,
        tenant_id=tenant_id,
        body=EndpointIn(url="https://hooks.example.com/beacon", **subscription),
        box=BOX,
        egress=EgressPolicy(),
    )
    return created.endpoint.id


async def deliveries(session, endpoint_id: uuid.UUID):
    return (
        await session.execute(
            select(webhook_delivery.c.event_type, webhook_delivery.c.payload).where(
                webhook_delivery.c.endpoint_id == endpoint_id
            )
        )
    ).all()


class TestReportGenerated:
    async def test_a_report_is_delivered_to_the_brand_s_subscribers(self, db_session, unique):
        tenant = unique("tenant")
        subscribed = await endpoint(db_session, tenant, event_types=["report.generated"])
        other_brand = await endpoint(db_session, tenant, brand_ids=["brand-2"])
        alerts_only = await endpoint(db_session, tenant, event_types=["alert.raised"])
        event = generated(tenant, "brand-1")

        await report_generated(db_session, event)

        ((event_type, payload),) = await deliveries(db_session, subscribed)
        assert event_type == "report.generated"
        data = payload["data"]
        assert data["report_id"] == event.data["report_id"]
        assert data["brand_id"] == "brand-1"
        assert data["path"] == f"/v1/reports/{event.data['report_id']}"
        assert data["downloads"] == {
            "csv": f"/v1/reports/{event.data['report_id']}/csv",
            "pdf": f"/v1/reports/{event.data['report_id']}/pdf",
        }
        assert data["period_start"] == "2026-11-15T23:00:00Z"
        assert await deliveries(db_session, other_brand) == []
        assert await deliveries(db_session, alerts_only) == []

    async def test_another_tenant_s_endpoints_get_nothing(self, db_session, unique):
        other = await endpoint(db_session, unique("tenant"))

        await report_generated(db_session, generated(unique("tenant"), "brand-1"))

        assert await deliveries(db_session, other) == []


def test_endpoints_may_subscribe_to_reports():
    assert "report.generated" in WEBHOOK_EVENT_TYPES


def test_the_worker_consumes_report_generated():
    consumer = reports_consumer()
    assert (consumer.group_id, list(consumer.topics)) == ("publisher.reports", ["report.generated"])
    assert consumer.handles(ReportGenerated.event_type)
    worker = spec()
    assert "report.generated" in {topic.name for topic in worker.topics}
    assert "publisher.reports" in {c.group_id for c in worker.consumers}
