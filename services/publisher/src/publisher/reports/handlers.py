"""Consumed `report.generated`: each scheduled report becomes a `report.generated` webhook."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from beacon_shared.consumer import Consumer
from beacon_shared.contracts.analytics import ReportGenerated
from beacon_shared.contracts.topics import REPORT_GENERATED
from beacon_shared.events import Envelope
from publisher.webhooks import service as webhooks

GROUP_ID = "publisher.reports"
EVENT_TYPE = "report.generated"


async def report_generated(session: AsyncSession, envelope: Envelope) -> None:
    """Notify the tenant's endpoints subscribed to the report's brand."""
    generated = envelope.payload(ReportGenerated)
    await webhooks.notify(
        session,
        tenant_id=envelope.tenantid,
        event_type=EVENT_TYPE,
        data={
            **generated.model_dump(mode="json"),
            # Paths on the analytics API, one per format (the API key is the tenant's own).
            "downloads": {fmt: f"{generated.path}/{fmt}" for fmt in generated.formats},
        },
        brand_id=generated.brand_id,
    )


def reports_consumer() -> Consumer:
    """The group turning analytics' scheduled reports into webhooks."""
    return Consumer(
        group_id=GROUP_ID,
        topics=[REPORT_GENERATED.name],
        handlers={ReportGenerated.event_type: report_generated},
    )
