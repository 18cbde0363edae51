"""The post.metrics.observed event of one observed post."""

from __future__ import annotations

from datetime import datetime

from beacon_shared.contracts.ingest import PostMetricsObserved
from beacon_shared.events import Envelope
from ingest.post_metrics.base import MetricsAccount, Observation, ObservedPost, Owner

SOURCE = "/beacon/ingest"


def observed_event(
    account: MetricsAccount, observation: Observation, post: ObservedPost, *, observed_at: datetime
) -> Envelope:
    """One post's totals as read at `observed_at`; keyed (and ordered) by the post's id."""
    payload = PostMetricsObserved(
        brand_id=account.brand_id,
        network=account.network,
        account_external_id=account.external_account_id,
        account_handle=observation.handle or account.handle,
        owner=account.owner.value,
        competitor_id=str(account.id) if account.owner is Owner.competitor else None,
        post_external_id=post.external_id,
        text=post.text,
        post_created_at=post.created_at,
        likes=post.likes,
        comments=post.comments,
        shares=post.shares,
        observed_at=observed_at,
    )
    return Envelope.build(
        payload, tenant_id=account.tenant_id, subject=post.external_id, source=SOURCE
    )
