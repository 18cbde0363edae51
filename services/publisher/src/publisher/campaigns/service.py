"""Campaigns: created, changed and archived per tenant; the UTM values their posts' links carry.

Posts name a campaign through `require_open` (only open campaigns take new posts), and the
publisher tags each target's links with `utm_for(campaign, network)`. Every change stages
`campaign.changed` (the whole campaign) in the same transaction, for analytics' ROI reports.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, fields
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, TypedDict
from uuid import UUID

from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncSession

from beacon_shared import outbox
from beacon_shared.contracts.publisher import CampaignChanged
from beacon_shared.events import Envelope
from beacon_shared.logging import get_logger
from beacon_shared.pagination import Cursor, split_page
from publisher.campaigns import repository
from publisher.campaigns.exceptions import (
    CampaignArchived,
    CampaignEndsBeforeStart,
    CampaignNotFound,
    CostWithoutCurrency,
    UtmCampaignTaken,
)
from publisher.campaigns.models import CampaignKind
from publisher.campaigns.repository import UtmCampaignConflict
from publisher.campaigns.schemas import CampaignIn, CampaignPatch, CampaignQuery
from publisher.campaigns.slugs import slugify
from publisher.db import outbox as outbox_table

log = get_logger(__name__)
SOURCE = "/beacon/publisher"


@dataclass(frozen=True)
class CampaignRow:
    """A stored campaign."""

    id: UUID
    tenant_id: str
    brand_id: str | None
    name: str
    kind: CampaignKind
    description: str | None
    starts_at: datetime | None
    ends_at: datetime | None
    utm_campaign: str
    utm_medium: str
    cost_amount: Decimal | None
    currency: str | None
    archived_at: datetime | None
    created_at: datetime
    updated_at: datetime

    @property
    def archived(self) -> bool:
        """Archived campaigns take no new posts."""
        return self.archived_at is not None

    @classmethod
    def from_row(cls, row: Row[Any]) -> CampaignRow:
        """From a `campaign` row."""
        values = {f.name: row._mapping[f.name] for f in fields(cls)}
        return cls(**{**values, "kind": CampaignKind(values["kind"])})


class UtmValues(TypedDict):
    """The UTM values of one target's links, named as `tag_link` takes them."""

    source: str
    medium: str
    campaign: str


def utm_for(campaign: CampaignRow, network: str) -> UtmValues:
    """What a target on `network` tags its links with: `tag_link(url, **utm_for(c, network))`."""
    source = str(network).strip().lower()
    if not source:
        raise ValueError("a target's network is needed as its utm_source")
    return {"source": source, "medium": campaign.utm_medium, "campaign": campaign.utm_campaign}


def check_period(starts_at: datetime | None, ends_at: datetime | None) -> None:
    """A campaign with both ends ends after it starts."""
    if starts_at is not None and ends_at is not None and ends_at <= starts_at:
        raise CampaignEndsBeforeStart(starts_at, ends_at)


def check_cost(cost_amount: Decimal | None, currency: str | None) -> None:
    """A cost is given with its currency."""
    if cost_amount is not None and currency is None:
        raise CostWithoutCurrency


def default_utm_campaign(name: str, campaign_id: UUID) -> str:
    """A slug of the name, or of the id for a name with no letters or digits."""
    return slugify(name) or f"campaign-{campaign_id.hex[:8]}"


async def create(session: AsyncSession, *, tenant_id: str, body: CampaignIn) -> CampaignRow:
    """Store a new campaign; UtmCampaignTaken if the tenant already uses its utm_campaign."""
    check_period(body.starts_at, body.ends_at)
    check_cost(body.cost_amount, body.currency)
    campaign_id = uuid.uuid4()
    utm_campaign = body.utm_campaign or default_utm_campaign(body.name, campaign_id)
    now = datetime.now(UTC)
    try:
        row = await repository.insert_campaign(
            session,
            {
                **body.model_dump(),
                "id": campaign_id,
                "tenant_id": tenant_id,
                "kind": body.kind.value,
                "utm_campaign": utm_campaign,
                "created_at": now,
                "updated_at": now,
            },
        )
    except UtmCampaignConflict:
        raise UtmCampaignTaken(utm_campaign) from None
    created = CampaignRow.from_row(row)
    await _announce(session, created)
    log.info(
        "campaign.created", campaign_id=str(campaign_id), tenant_id=tenant_id, kind=body.kind.value
    )
    return created


async def get(session: AsyncSession, *, tenant_id: str, campaign_id: UUID) -> CampaignRow:
    """One campaign of the tenant, archived or not, or CampaignNotFound."""
    row = await repository.get_campaign(session, tenant_id=tenant_id, campaign_id=campaign_id)
    if row is None:
        raise CampaignNotFound(campaign_id)
    return CampaignRow.from_row(row)


async def find(
    session: AsyncSession, *, tenant_id: str, campaign_id: UUID | str
) -> CampaignRow | None:
    """The tenant's campaign with this id, archived or not; None for an unknown or malformed id."""
    parsed = _parse_id(campaign_id)
    if parsed is None:
        return None
    row = await repository.get_campaign(session, tenant_id=tenant_id, campaign_id=parsed)
    return CampaignRow.from_row(row) if row is not None else None


async def require_open(
    session: AsyncSession,
    *,
    tenant_id: str,
    campaign_id: UUID | str,
    pointer: str = "/campaign_id",
) -> CampaignRow:
    """The campaign a new post names, which must exist and not be archived.

    CampaignNotFound (404) or CampaignArchived (409), pointing at `pointer` in the request body.
    The campaign stays share-locked until the transaction ends, so it cannot be archived while
    the post that names it is being stored.
    """
    parsed = _parse_id(campaign_id)
    if parsed is None:
        raise CampaignNotFound(campaign_id, pointer=pointer)
    row = await repository.get_campaign(
        session, tenant_id=tenant_id, campaign_id=parsed, lock="share"
    )
    if row is None:
        raise CampaignNotFound(parsed, pointer=pointer)
    found = CampaignRow.from_row(row)
    if found.archived:
        raise CampaignArchived(parsed, pointer=pointer)
    return found


async def list_page(
    session: AsyncSession, *, tenant_id: str, query: CampaignQuery
) -> tuple[list[CampaignRow], str | None]:
    """A page of the tenant's campaigns, newest first, and the cursor of the next one."""
    after = Cursor.decode(query.cursor) if query.cursor else None
    rows = await repository.list_campaigns(
        session,
        tenant_id=tenant_id,
        brand_id=query.brand_id,
        kind=query.kind.value if query.kind else None,
        active_at=query.active_at,
        include_archived=query.include_archived,
        after=after,
        limit=query.limit + 1,
    )
    page, next_cursor = split_page(rows, query.limit, at="created_at")
    return [CampaignRow.from_row(row) for row in page], next_cursor


async def update(
    session: AsyncSession, *, tenant_id: str, campaign_id: UUID, patch: CampaignPatch
) -> CampaignRow:
    """Apply the fields the patch carries; the result must still be a valid campaign.

    Archived campaigns may be changed too, so costs known only afterwards can be recorded.
    """
    row = await repository.get_campaign(
        session, tenant_id=tenant_id, campaign_id=campaign_id, lock="update"
    )
    if row is None:
        raise CampaignNotFound(campaign_id)
    changes = patch.changes()
    if not changes:
        return CampaignRow.from_row(row)
    merged = {**row._mapping, **changes}
    check_period(merged["starts_at"], merged["ends_at"])
    check_cost(merged["cost_amount"], merged["currency"])
    if "kind" in changes:
        changes["kind"] = CampaignKind(str(changes["kind"])).value
    try:
        updated = await repository.update_campaign(
            session, campaign_id=campaign_id, values={**changes, "updated_at": _next_change(row)}
        )
    except UtmCampaignConflict:
        raise UtmCampaignTaken(str(changes["utm_campaign"])) from None
    changed = CampaignRow.from_row(updated)
    await _announce(session, changed)
    log.info(
        "campaign.updated",
        campaign_id=str(campaign_id),
        tenant_id=tenant_id,
        fields=sorted(changes),
    )
    return changed


async def archive(session: AsyncSession, *, tenant_id: str, campaign_id: UUID) -> CampaignRow:
    """Close the campaign to new posts (posts already in it stay); archiving again is a no-op."""
    row = await repository.get_campaign(
        session, tenant_id=tenant_id, campaign_id=campaign_id, lock="update"
    )
    if row is None:
        raise CampaignNotFound(campaign_id)
    if row.archived_at is not None:
        return CampaignRow.from_row(row)
    now = _next_change(row)
    updated = await repository.update_campaign(
        session, campaign_id=campaign_id, values={"archived_at": now, "updated_at": now}
    )
    archived = CampaignRow.from_row(updated)
    await _announce(session, archived)
    log.info("campaign.archived", campaign_id=str(campaign_id), tenant_id=tenant_id)
    return archived


def campaign_changed(row: CampaignRow) -> CampaignChanged:
    """The `campaign.changed` payload of a stored campaign: all of it, as it now stands."""
    return CampaignChanged(
        campaign_id=row.id,
        brand_id=row.brand_id,
        name=row.name,
        kind=row.kind.value,
        utm_campaign=row.utm_campaign,
        utm_medium=row.utm_medium,
        starts_at=row.starts_at,
        ends_at=row.ends_at,
        cost_amount=str(row.cost_amount) if row.cost_amount is not None else None,
        currency=row.currency,
        archived=row.archived,
        # Consumers keep the latest version by this, so it moves with every stored change.
        changed_at=row.updated_at,
    )


async def _announce(session: AsyncSession, row: CampaignRow) -> None:
    """Stage `campaign.changed` in the change's transaction, keyed by the campaign so its
    events stay in order."""
    envelope = Envelope.build(
        campaign_changed(row), tenant_id=row.tenant_id, subject=str(row.id), source=SOURCE
    )
    await outbox.stage(session, outbox_table, [envelope], keys=[str(row.id)])


def _next_change(row: Row[Any]) -> datetime:
    """Now, or just after the last change if this host's clock is behind the one that made it:
    `updated_at` is the event's `changed_at`, by which consumers keep the latest version."""
    last: datetime = row.updated_at
    return max(datetime.now(UTC), last + timedelta(microseconds=1))


def _parse_id(campaign_id: UUID | str) -> UUID | None:
    if isinstance(campaign_id, UUID):
        return campaign_id
    try:
        return UUID(campaign_id)
    except ValueError:
        return None
