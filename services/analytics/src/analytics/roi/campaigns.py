"""Campaigns and their publications as the publisher announces them, and late attribution.

`campaign.changed` carries the whole campaign each time: the version with the latest
`changed_at` is kept whatever order versions arrive in, and replays change nothing. Every
utm_campaign a campaign had stays claimed by it, since links already published keep theirs.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from analytics.roi import repository
from analytics.roi.conversions import day_deltas
from analytics.roi.repository import Claim
from beacon_shared.contracts.publisher import CampaignChanged, PostPublished
from beacon_shared.events import Envelope, MalformedEvent
from beacon_shared.logging import get_logger

log = get_logger(__name__)


async def apply_changes(
    session: AsyncSession, envelopes: Sequence[Envelope], *, now: datetime | None = None
) -> int:
    """Keep each campaign's latest version, record its utm_campaigns, and attribute the
    conversions that were waiting for them; returns the conversions attributed."""
    versions: dict[tuple[str, UUID], dict[str, Any]] = {}
    claims: dict[tuple[str, str, UUID], datetime] = {}
    for envelope in envelopes:
        changed = envelope.payload(CampaignChanged)
        key = (envelope.tenantid, changed.campaign_id)
        row = _campaign_row(envelope.tenantid, changed)
        earlier = versions.get(key)
        if earlier is not None:
            row["created_at"] = min(earlier["created_at"], row["created_at"])
            if earlier["changed_at"] > row["changed_at"]:
                row = {**earlier, "created_at": row["created_at"]}
        versions[key] = row
        claim = (envelope.tenantid, changed.utm_campaign, changed.campaign_id)
        claims[claim] = max(claims.get(claim, changed.changed_at), changed.changed_at)
    utm_keys = sorted({(tenant, utm) for tenant, utm, _ in claims})
    await repository.lock_utm_campaigns(session, utm_keys, exclusive=True)
    await repository.upsert_campaigns(session, [versions[key] for key in sorted(versions)])
    await repository.upsert_claims(
        session, [Claim(*key, claimed_at=at) for key, at in sorted(claims.items())]
    )
    attributed = await repository.attribute_waiting(session, utm_keys, now=now or datetime.now(UTC))
    await repository.add_to_days(session, day_deltas(row._asdict() for row in attributed))
    if attributed:
        log.info("conversions.attributed_late", conversions=len(attributed))
    return len(attributed)


async def record_publications(session: AsyncSession, envelopes: Sequence[Envelope]) -> int:
    """Keep the publications of campaign posts, each target once; returns the new ones."""
    rows = []
    for envelope in envelopes:
        published = envelope.payload(PostPublished)
        campaign_id = _campaign_id(published.campaign_id)
        if campaign_id is None:
            continue
        rows.append(
            {
                "tenant_id": envelope.tenantid,
                "target_id": published.target_id,
                "campaign_id": campaign_id,
                "post_id": published.post_id,
                "network": published.network.value,
                "published_at": published.published_at,
            }
        )
    return await repository.insert_publications(session, rows)


def _campaign_row(tenant_id: str, changed: CampaignChanged) -> dict[str, Any]:
    return {
        "tenant_id": tenant_id,
        "campaign_id": changed.campaign_id,
        "brand_id": changed.brand_id,
        "name": changed.name,
        "kind": changed.kind,
        "utm_campaign": changed.utm_campaign,
        "utm_medium": changed.utm_medium,
        "starts_at": changed.starts_at,
        "ends_at": changed.ends_at,
        "cost_amount": _cost(changed),
        "currency": changed.currency,
        "archived": changed.archived,
        "created_at": changed.changed_at,
        "changed_at": changed.changed_at,
    }


def _cost(changed: CampaignChanged) -> Decimal | None:
    if changed.cost_amount is None:
        return None
    try:
        cost = Decimal(changed.cost_amount)
    except InvalidOperation:
        cost = None
    # A cost that is no amount, or has none of the currency it needs, would be a wrong ROI.
    if cost is None or not cost.is_finite() or cost < 0 or changed.currency is None:
        raise MalformedEvent(
            f"campaign {changed.campaign_id} has cost_amount {changed.cost_amount!r} "
            f"in {changed.currency!r}"
        )
    return cost


def _campaign_id(value: str | None) -> UUID | None:
    if value is None:
        return None
    try:
        return UUID(value)
    except ValueError:
        log.debug("publication.campaign_id_not_a_uuid", campaign_id=value)
        return None
