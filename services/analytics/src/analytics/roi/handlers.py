"""Batch handlers of the events ROI consumes."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from analytics.roi import campaigns
from beacon_shared.events import Envelope
from beacon_shared.logging import get_logger

log = get_logger(__name__)


async def campaign_changed(session: AsyncSession, envelopes: Sequence[Envelope]) -> None:
    """publisher.campaign.changed: keep the latest version, attribute waiting conversions."""
    attributed = await campaigns.apply_changes(session, envelopes)
    log.debug("campaigns.applied", events=len(envelopes), attributed=attributed)


async def post_published(session: AsyncSession, envelopes: Sequence[Envelope]) -> None:
    """publisher.post.published: the campaign's publications, by which its cost is shared."""
    added = await campaigns.record_publications(session, envelopes)
    log.debug("publications.recorded", events=len(envelopes), added=added)
