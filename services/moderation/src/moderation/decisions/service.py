"""Deciding each received comment once and staging its event in the same transaction."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, NamedTuple
from uuid import UUID

from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncSession

from beacon_shared import outbox
from beacon_shared.contracts.ingest import CommentReceived
from beacon_shared.contracts.moderation import (
    SENTIMENT_SCORE,
    CommentModerated,
    ModerationAction,
    Sentiment,
    Toxicity,
    sentiment_label,
)
from beacon_shared.events import Envelope
from beacon_shared.logging import get_logger
from beacon_shared.pagination import Cursor, split_page
from moderation.access import in_brands
from moderation.comments import service as comments
from moderation.db import outbox as outbox_table
from moderation.decisions import repository
from moderation.decisions.exceptions import DecisionNotFound
from moderation.decisions.schemas import DecisionQuery
from moderation.rules import Verdict

SOURCE = "/beacon/moderation"
log = get_logger(__name__)


class Described(NamedTuple):
    """A decision and the stored comment it references."""

    decision: Row[Any]
    comment: Row[Any]


@dataclass(frozen=True)
class ReceivedComment:
    """A comment.received event and its validated payload."""

    envelope: Envelope
    comment: CommentReceived

    @property
    def tenant_id(self) -> str:
        """The tenant the comment belongs to."""
        return self.envelope.tenantid


async def record(
    session: AsyncSession, decided: Sequence[tuple[ReceivedComment, Verdict]]
) -> list[tuple[ReceivedComment, Verdict, UUID]]:
    """Record each comment's decision unless it has one, staging its event; returns the new ones.
    The comments must be stored already (moderation.comments): a decision references its own."""
    if not decided:
        return []
    now = datetime.now(UTC)
    pending = [(item, verdict, uuid.uuid4()) for item, verdict in decided]
    inserted = await repository.insert_new(
        session, [_row(item, verdict, id_, now) for item, verdict, id_ in pending]
    )
    fresh = [entry for entry in pending if entry[2] in inserted]
    await outbox.stage(
        session,
        outbox_table,
        [_event(item, verdict, id_, now) for item, verdict, id_ in fresh],
        keys=[item.comment.thread_external_id or item.comment.external_id for item, _, _ in fresh],
    )
    for item, verdict, id_ in fresh:
        log.info(
            "decision.recorded",
            decision_id=str(id_),
            tenant_id=item.tenant_id,
            interaction_id=str(item.comment.interaction_id),
            action=verdict.action.value,
            decided_by=verdict.decided_by,
        )
    if len(fresh) < len(pending):
        log.info("decision.already_recorded", count=len(pending) - len(fresh))
    return fresh


async def get(
    session: AsyncSession,
    *,
    tenant_id: str,
    decision_id: UUID,
    brand_ids: frozenset[str] | None = None,
) -> Described:
    """One decision of the tenant (of one of `brand_ids` when given) with its comment, or
    DecisionNotFound."""
    row = await repository.get(session, tenant_id=tenant_id, decision_id=decision_id)
    if row is None or not in_brands(row.brand_id, brand_ids):
        raise DecisionNotFound(f"no decision {decision_id}")
    (described,) = await _described(session, tenant_id, [row])
    return described


async def list_page(
    session: AsyncSession,
    *,
    tenant_id: str,
    query: DecisionQuery,
    brand_ids: frozenset[str] | None = None,
) -> tuple[list[Described], str | None]:
    """A page of the tenant's decisions (of `brand_ids` when given), newest first, and the cursor
    of the next one."""
    after = Cursor.decode(query.cursor) if query.cursor else None
    rows = await repository.list_page(
        session,
        tenant_id=tenant_id,
        query=query,
        brand_ids=brand_ids,
        after=after,
        limit=query.limit + 1,
    )
    page, next_cursor = split_page(rows, query.limit, at="decided_at")
    return await _described(session, tenant_id, page), next_cursor


async def _described(
    session: AsyncSession, tenant_id: str, rows: Sequence[Row[Any]]
) -> list[Described]:
    """The decisions with the comments they reference (always there: a foreign key)."""
    stored = await comments.of_interactions(
        session, tenant_id=tenant_id, interaction_ids=[row.interaction_id for row in rows]
    )
    return [Described(row, stored[row.interaction_id]) for row in rows]


async def revise(
    session: AsyncSession,
    *,
    tenant_id: str,
    decision_id: UUID,
    action: ModerationAction,
    decided_by: str,
    reasons: Sequence[str],
    cause: Envelope | None = None,
) -> Row[Any]:
    """A person's decision replaces the rule's; comment.moderated is sent again with the same id,
    naming the action it replaces so that counting consumers take that one back."""
    before, comment = await get(session, tenant_id=tenant_id, decision_id=decision_id)
    now = datetime.now(UTC)
    row = await repository.revise(
        session,
        tenant_id=tenant_id,
        decision_id=decision_id,
        values={
            "action": action.value,
            "decided_by": decided_by,
            "reasons": list(reasons),
            "decided_at": now,
        },
    )
    if row is None:
        raise DecisionNotFound(f"no decision {decision_id}")
    payload = CommentModerated(
        decision_id=row.id,
        interaction_id=row.interaction_id,
        brand_id=row.brand_id,
        network=comment.network,
        external_id=comment.external_id,
        action=action,
        decided_by=decided_by,
        reasons=list(reasons),
        model_version=row.model_version,
        scores=row.scores,
        decided_at=now,
        sentiment=_sentiment(row.scores),
        toxicity=_toxicity(row.scores),
        replaces_action=before.action,
        replaces_decided_at=before.decided_at,
    )
    event = Envelope.build(
        payload, tenant_id=tenant_id, subject=str(row.id), source=SOURCE, cause=cause
    )
    await outbox.stage(
        session, outbox_table, [event], keys=[comment.thread_external_id or comment.external_id]
    )
    return row


def _row(item: ReceivedComment, verdict: Verdict, id_: UUID, now: datetime) -> dict[str, Any]:
    comment = item.comment
    return {
        "id": id_,
        "tenant_id": item.tenant_id,
        "interaction_id": comment.interaction_id,
        "brand_id": comment.brand_id,
        "action": verdict.action.value,
        "decided_by": verdict.decided_by,
        "reasons": list(verdict.reasons),
        "model_version": verdict.model_version,
        "scores": dict(verdict.scores),
        "decided_at": now,
    }


def _event(item: ReceivedComment, verdict: Verdict, id_: UUID, now: datetime) -> Envelope:
    comment = item.comment
    payload = CommentModerated(
        decision_id=id_,
        interaction_id=comment.interaction_id,
        brand_id=comment.brand_id,
        network=comment.network,
        external_id=comment.external_id,
        action=verdict.action,
        decided_by=verdict.decided_by,
        reasons=list(verdict.reasons),
        model_version=verdict.model_version,
        scores=dict(verdict.scores),
        decided_at=now,
        language=verdict.classification.language if verdict.classification else None,
        intents=list(verdict.classification.intents) if verdict.classification else None,
        sentiment=_sentiment(verdict.scores),
        toxicity=_toxicity(verdict.scores),
        kind=comment.kind,
        account_external_id=comment.account_external_id,
        thread_external_id=comment.thread_external_id,
        author_id=comment.author.network_id,
        comment_created_at=comment.created_at,
        comment_received_at=comment.received_at,
    )
    return Envelope.build(
        payload, tenant_id=item.tenant_id, subject=str(id_), source=SOURCE, cause=item.envelope
    )


def _sentiment(scores: Mapping[str, float]) -> Sentiment | None:
    score = scores.get(SENTIMENT_SCORE)
    return None if score is None else sentiment_label(score)


def _toxicity(scores: Mapping[str, float]) -> Toxicity | None:
    """The toxicity scores the rules put in `scores` (none when the comment was not scored)."""
    if "toxicity" not in scores:
        return None
    return Toxicity(
        overall=scores["toxicity"],
        insult=scores.get("insult"),
        threat=scores.get("threat"),
        hate=scores.get("hate"),
        obscene=scores.get("obscene"),
    )
