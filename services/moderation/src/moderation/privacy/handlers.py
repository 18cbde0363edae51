"""Erasure requests: the author's comments and everything kept about them deleted in one
transaction, and the counts reported to the workspace's receipt."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from beacon_shared import outbox
from beacon_shared.consumer import Consumer
from beacon_shared.contracts.moderation import ErasureCompleted
from beacon_shared.contracts.topics import ERASURE_REQUESTED
from beacon_shared.contracts.workspace import ErasureRequested
from beacon_shared.events import Envelope
from beacon_shared.logging import get_logger
from moderation.actions import erasure as actions
from moderation.audit import erasure as audit
from moderation.comments import erasure as comments
from moderation.db import outbox as outbox_table
from moderation.decisions import erasure as decisions
from moderation.learning import erasure as learning
from moderation.review import erasure as review

log = get_logger(__name__)
# What is kept about a comment, by the kind the receipt counts it as; the comments last, since
# decisions reference them.
KEPT_ABOUT_A_COMMENT = {
    "decisions": decisions.erase,
    "review_items": review.erase,
    "actions": actions.erase,
    "audit_entries": audit.erase,
    "labels": learning.erase,
    "comments": comments.erase,
}
GROUP_ID = "moderation.erasures"
SOURCE = "/beacon/moderation"


async def erasure_requested(session: AsyncSession, envelope: Envelope) -> None:
    """Erase the author's comments and report what was erased."""
    request = envelope.payload(ErasureRequested)
    interaction_ids = await comments.authored(
        session,
        tenant_id=envelope.tenantid,
        brand_id=request.brand_id,
        network=request.network.value,
        author_id=request.author_id,
    )
    counts = {
        kind: await erase(session, tenant_id=envelope.tenantid, interaction_ids=interaction_ids)
        for kind, erase in KEPT_ABOUT_A_COMMENT.items()
    }
    completed = ErasureCompleted(
        erasure_id=request.erasure_id, erased=counts, completed_at=datetime.now(UTC)
    )
    await outbox.stage(
        session,
        outbox_table,
        [
            Envelope.build(
                completed,
                tenant_id=envelope.tenantid,
                subject=str(request.erasure_id),
                source=SOURCE,
                cause=envelope,
            )
        ],
    )
    log.info("erasure.completed", erasure_id=str(request.erasure_id), **counts)


def erasures_consumer() -> Consumer:
    """The group reading the workspace's erasure requests."""
    return Consumer(
        group_id=GROUP_ID,
        topics=[ERASURE_REQUESTED.name],
        handlers={ErasureRequested.event_type: erasure_requested},
    )
