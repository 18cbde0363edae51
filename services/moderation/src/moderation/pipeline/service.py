"""Moderating a batch of received comments in one transaction.

Each comment is classified once and decided by its brand's active rules; then the comment is
stored (once) and, for comments not decided before, the decision that references it, the review
item, the network action requests and the audit entries are written together, and their events
staged in the same transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, Protocol
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from beacon_shared.contracts.moderation import ModerationAction, NetworkAction
from beacon_shared.logging import get_logger
from moderation.actions import service as actions
from moderation.audit import service as audit
from moderation.comments import service as comments
from moderation.decisions import service as decisions
from moderation.decisions.service import ReceivedComment
from moderation.replies import service as replies
from moderation.replies.exceptions import SavedReplyNotFound
from moderation.review import assignees
from moderation.review import service as review
from moderation.rules import Verdict, classification_to_json

log = get_logger(__name__)

REVIEWED = {ModerationAction.flag, ModerationAction.escalate}
ON_NETWORK = {
    ModerationAction.hide: NetworkAction.hide,
    ModerationAction.delete: NetworkAction.delete,
}


class Decider(Protocol):
    """Classifies and decides a batch of comments (of any tenants), one verdict each, in order."""

    async def decide(
        self, session: AsyncSession, received: Sequence[ReceivedComment]
    ) -> list[Verdict]: ...


async def moderate(
    session: AsyncSession, received: Sequence[ReceivedComment], *, decider: Decider
) -> list[UUID]:
    """Decide each comment not decided yet and carry the decisions out; returns new decision ids."""
    # The same comment twice in one batch is decided once.
    unique: dict[tuple[str, UUID], ReceivedComment] = {}
    for item in received:
        unique.setdefault((item.tenant_id, item.comment.interaction_id), item)
    items = list(unique.values())
    verdicts = await decider.decide(session, items)
    # Stored before the decisions, which reference them; one stored before stays as it was.
    await comments.store(
        session,
        [
            comments.row(
                item.tenant_id,
                item.comment,
                _classification(verdict),
                verdict.classification.fingerprint if verdict.classification else None,
            )
            for item, verdict in zip(items, verdicts, strict=True)
        ],
    )
    fresh = await decisions.record(session, list(zip(items, verdicts, strict=True)))
    if fresh:
        await _carry_out(session, fresh)
    return [id_ for _, _, id_ in fresh]


async def _carry_out(
    session: AsyncSession, fresh: Sequence[tuple[ReceivedComment, Verdict, UUID]]
) -> None:
    now = datetime.now(UTC)
    queued: list[dict[str, Any]] = []
    requests: list[actions.Request] = []
    # A rule's saved reply is read once per batch, however many comments it answers.
    saved: dict[tuple[str, UUID], str | None] = {}
    # So is whether a rule's assignee may still moderate the brand.
    assignable: dict[tuple[str, str | None, str], bool] = {}
    for item, verdict, decision_id in fresh:
        target = actions.Target.of_received(item.tenant_id, item.comment)
        network_action = ON_NETWORK.get(verdict.action)
        if network_action is not None:
            requests.append(
                actions.Request(
                    target, network_action, verdict.decided_by, decision_id, cause=item.envelope
                )
            )
        reason = verdict.action.value if verdict.action in REVIEWED else None
        if verdict.reply_with is not None:
            reply = await _reply_text(session, item, verdict.reply_with, saved)
            if reply is None:
                reason = "reply_missing"
            else:
                requests.append(
                    actions.Request(
                        target,
                        NetworkAction.reply,
                        verdict.decided_by,
                        decision_id,
                        reply,
                        cause=item.envelope,
                    )
                )
        if reason is not None or verdict.assign_to is not None:
            queued.append(
                review.item(
                    tenant_id=item.tenant_id,
                    brand_id=item.comment.brand_id,
                    interaction_id=item.comment.interaction_id,
                    decision_id=decision_id,
                    reason=reason or "assigned",
                    labels=verdict.labels,
                    assignee=await _assignee(session, item, verdict, assignable),
                    assigned_by=verdict.decided_by,
                    now=now,
                )
            )
    await review.enqueue_many(session, queued)
    await actions.request_many(session, requests)
    await audit.record_many(
        session,
        [
            audit.entry(
                tenant_id=item.tenant_id,
                brand_id=item.comment.brand_id,
                event="decision",
                actor=verdict.decided_by,
                action=verdict.action.value,
                interaction_id=item.comment.interaction_id,
                decision_id=decision_id,
                model_version=verdict.model_version,
                rule_set_version=_version(verdict.rule_set_version),
                scores=verdict.scores,
                reasons=verdict.reasons,
                detail={"labels": list(verdict.labels)} if verdict.labels else None,
                at=now,
            )
            for item, verdict, decision_id in fresh
        ],
    )


def _classification(verdict: Verdict) -> dict[str, Any] | None:
    if verdict.classification is None:
        return None
    return classification_to_json(verdict.classification)


async def _assignee(
    session: AsyncSession,
    item: ReceivedComment,
    verdict: Verdict,
    assignable: dict[tuple[str, str | None, str], bool],
) -> str | None:
    """The rule's assignee, if they may moderate the comment's brand now; else the item waits
    unassigned in the queue (roles change after a rule set is activated)."""
    if verdict.assign_to is None:
        return None
    key = (item.tenant_id, item.comment.brand_id, verdict.assign_to)
    if key not in assignable:
        try:
            user_id = UUID(verdict.assign_to)
        except ValueError:
            assignable[key] = False
        else:
            assignable[key] = await assignees.may_moderate(
                session, tenant_id=key[0], brand_id=key[1], user_id=user_id
            )
        if not assignable[key]:
            log.info(
                "review.assignee_not_allowed",
                tenant_id=key[0],
                brand_id=key[1],
                assignee=verdict.assign_to,
                rule=verdict.decided_by,
            )
    return verdict.assign_to if assignable[key] else None


async def _reply_text(
    session: AsyncSession,
    item: ReceivedComment,
    reply_id: UUID,
    saved: dict[tuple[str, UUID], str | None],
) -> str | None:
    """The rule's saved reply for this author; None (sent to review) when it was deleted.

    `saved` holds the bodies already read in this batch (None for a deleted reply).
    """
    key = (item.tenant_id, reply_id)
    if key not in saved:
        try:
            row = await replies.get(session, tenant_id=item.tenant_id, reply_id=reply_id)
            saved[key] = row.body
        except SavedReplyNotFound:
            log.warning("decision.saved_reply_missing", reply_id=str(reply_id))
            saved[key] = None
    body = saved[key]
    if body is None:
        return None
    author = item.comment.author
    return replies.fill(
        body,
        author_name=author.display_name,
        author_handle=author.handle,
        network=item.comment.network.value,
    )


def _version(version: int | None) -> str | None:
    return None if version is None else str(version)
