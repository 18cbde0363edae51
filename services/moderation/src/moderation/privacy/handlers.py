"""Erasure requests: the author's comments and everything kept about them deleted in one
transaction, and the counts reported to the workspace's receipt."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from beacon_shared.consumer import Consumer
from beacon_shared.contracts.moderation import ErasureCompleted
from beacon_shared.contracts.workspace import ErasureRequested
from beacon_shared.erasures import erasure_handler
from beacon_shared.erasures import erasures_consumer as shared_consumer
from moderation.actions import erasure as actions
from moderation.audit import erasure as audit
from moderation.comments import erasure as comments
from moderation.db import outbox as outbox_table
from moderation.decisions import erasure as decisions
from moderation.learning import erasure as learning
from moderation.review import erasure as review

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


async def erase(session: AsyncSession, tenant_id: str, request: ErasureRequested) -> dict[str, int]:
    """Erase the author's comments and everything kept about them."""
    interaction_ids = await comments.authored(
        session,
        tenant_id=tenant_id,
        brand_id=request.brand_id,
        network=request.network.value,
        author_id=request.author_id,
    )
    return {
        kind: await erase_kind(session, tenant_id=tenant_id, interaction_ids=interaction_ids)
        for kind, erase_kind in KEPT_ABOUT_A_COMMENT.items()
    }


erasure_requested = erasure_handler(
    erase, completed=ErasureCompleted, outbox_table=outbox_table, source=SOURCE
)


def erasures_consumer() -> Consumer:
    """The group reading the workspace's erasure requests."""
    return shared_consumer(GROUP_ID, erasure_requested)
