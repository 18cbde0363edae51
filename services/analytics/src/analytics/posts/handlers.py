"""Facts of the publisher's post events and of own posts' observed metrics, a batch at a time."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from analytics.posts import service
from analytics.rollups import metrics
from analytics.rollups import service as rollups
from analytics.rollups.facts import Fact, account_key
from analytics.rollups.lateness import Placement
from beacon_shared.contracts.ingest import PostMetricsObserved
from beacon_shared.contracts.publisher import (
    PostFailed,
    PostPublished,
    PostScheduled,
    ScheduleChange,
)
from beacon_shared.events import Envelope

OWN = "own"


async def post_published(session: AsyncSession, envelopes: Sequence[Envelope]) -> list[Fact]:
    """Remember each publication (so interactions on it count toward the post and its
    campaign); its fact comes once, however many post.published it gets."""
    placement = Placement()
    publications = []
    received = {}
    for envelope in envelopes:
        post = envelope.payload(PostPublished)
        network = post.network.value
        received[(envelope.tenantid, network, post.external_id)] = envelope.time
        publications.append(
            rollups.Publication(
                tenant_id=envelope.tenantid,
                brand_id=post.brand_id or "",
                network=network,
                external_id=post.external_id,
                post_id=post.post_id,
                campaign_id=post.campaign_id,
                account_key=account_key(network, post.external_account_id),
                published_at=post.published_at,
            )
        )
    facts = []
    for p in await rollups.record_publications(session, publications):
        at = placement.place(
            p.tenant_id,
            p.brand_id,
            p.published_at,
            received[(p.tenant_id, p.network, p.external_id)],
        )
        if at is not None:
            facts.append(
                Fact(
                    p.tenant_id,
                    p.brand_id,
                    at,
                    metrics.POSTS_PUBLISHED,
                    1,
                    p.network,
                    p.account_key,
                    post=str(p.post_id),
                    campaign=p.campaign_id,
                )
            )
    facts.extend(placement.policy_facts)
    return facts


async def post_failed(session: AsyncSession, envelopes: Sequence[Envelope]) -> list[Fact]:
    """Publications that failed for good."""
    placement = Placement()
    facts = []
    for envelope in envelopes:
        post = envelope.payload(PostFailed)
        brand = post.brand_id or ""
        at = placement.place(envelope.tenantid, brand, post.failed_at, envelope.time)
        if at is not None:
            facts.append(
                Fact(
                    envelope.tenantid,
                    brand,
                    at,
                    metrics.POSTS_FAILED,
                    1,
                    post.network.value,
                    post=str(post.post_id),
                    campaign=post.campaign_id,
                )
            )
    facts.extend(placement.policy_facts)
    return facts


async def post_scheduled(session: AsyncSession, envelopes: Sequence[Envelope]) -> list[Fact]:
    """New schedules, at the time they were made (reschedules and cancellations: none)."""
    facts = []
    for envelope in envelopes:
        post = envelope.payload(PostScheduled)
        if post.change is ScheduleChange.scheduled:
            facts.append(
                Fact(
                    envelope.tenantid,
                    post.brand_id or "",
                    envelope.time,
                    metrics.POSTS_SCHEDULED,
                    1,
                    post=str(post.post_id),
                    campaign=post.campaign_id,
                )
            )
    return facts


async def post_metrics_observed(session: AsyncSession, envelopes: Sequence[Envelope]) -> list[Fact]:
    """Impressions and reach of the brand's own posts (competitors' are listening's)."""
    placement = Placement()
    observations = []
    for envelope in envelopes:
        seen = envelope.payload(PostMetricsObserved)
        if seen.owner != OWN:
            continue
        network = seen.network.value
        observations.append(
            service.Observation(
                tenant_id=envelope.tenantid,
                brand_id=seen.brand_id or "",
                network=network,
                account=account_key(network, seen.account_external_id),
                post_external_id=seen.post_external_id,
                impressions=seen.impressions,
                reach=seen.reach,
                observed_at=seen.observed_at,
                received=envelope.time,
            )
        )
    facts = await service.observed(session, observations, placement)
    facts.extend(placement.policy_facts)
    return facts
