"""Posts as their authors write them: created, listed, edited, and the helpers the workflow
(workflow.py) and delivery (progress.py) share. Targets are delivery's: reached through its
`targets` service."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from pydantic import BaseModel
from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncSession

from beacon_shared import idempotency, outbox
from beacon_shared.auth.principal import Principal
from beacon_shared.contracts.common import Network
from beacon_shared.contracts.publisher import PostScheduled, PostTarget, ScheduleChange
from beacon_shared.events import Envelope
from beacon_shared.logging import get_logger
from beacon_shared.pagination import Cursor, split_page
from beacon_shared.tracing import current_correlation_id
from publisher.accounts import service as accounts
from publisher.authoring import repository
from publisher.authoring.content import (
    check_content,
    check_networks,
    json_media,
    json_variants,
)
from publisher.authoring.exceptions import (
    ApprovalRequired,
    PostNotFound,
    WrongState,
)
from publisher.authoring.models import PostStatus, ReviewDecision, post_keys
from publisher.authoring.schemas import PostIn, PostPatch, PostQuery, Submit
from publisher.authoring.timing import resolve_timing
from publisher.brands import service as brands
from publisher.campaigns import service as campaigns
from publisher.db import outbox as outbox_table
from publisher.delivery import targets as post_targets
from publisher.delivery.status import TargetStatus
from publisher.webhooks import service as webhooks

SOURCE = "/beacon/publisher"
log = get_logger(__name__)

# States in which nothing has gone out yet, so content, time and targets may still change.
NOT_STARTED = (
    PostStatus.draft,
    PostStatus.in_review,
    PostStatus.approved,
    PostStatus.scheduled,
)
_WEBHOOK_OF_STATUS = {PostStatus.draft: "post.drafted", PostStatus.in_review: "post.submitted"}
_WEBHOOK_OF_CHANGE = {
    ScheduleChange.scheduled: "post.scheduled",
    ScheduleChange.rescheduled: "post.rescheduled",
    ScheduleChange.cancelled: "post.cancelled",
}


@dataclass(frozen=True)
class PostRecord:
    """A stored post and its targets."""

    post: Row[Any]
    targets: Sequence[Row[Any]]


class CreatedPost(BaseModel):
    """What an Idempotency-Key keeps: the post's id (a replay shows the post as it is now)."""

    post_id: UUID


@dataclass(frozen=True)
class Created:
    """The outcome of a create: the post, and False when an Idempotency-Key replayed it."""

    record: PostRecord
    created: bool


async def create(
    session: AsyncSession,
    *,
    tenant_id: str,
    actor: str,
    body: PostIn,
    idempotency_key: str | None,
    tolerance: timedelta,
    networks: frozenset[Network],
) -> Created:
    """Store a post by `actor` in the state `submit` asks for; replay an Idempotency-Key (looked
    up before the time is checked, so a retry after the scheduled time still gets its post)."""

    async def produce(session: AsyncSession) -> CreatedPost:
        post_id = await _create(
            session,
            tenant_id=tenant_id,
            actor=actor,
            body=body,
            tolerance=tolerance,
            networks=networks,
        )
        return CreatedPost(post_id=post_id)

    answer = await idempotency.answer_once(
        post_keys,
        idempotency.savepoints(session),
        tenant_id=tenant_id,
        key=idempotency_key,
        request=idempotency.fingerprint(body.model_dump(mode="json")),
        model=CreatedPost,
        produce=produce,
    )
    post_id = answer.value.post_id
    if answer.replayed:
        log.info("post.idempotent_replay", post_id=str(post_id), tenant_id=tenant_id)
    record = await get(session, tenant_id=tenant_id, post_id=post_id)
    return Created(record, created=not answer.replayed)


async def _create(
    session: AsyncSession,
    *,
    tenant_id: str,
    actor: str,
    body: PostIn,
    tolerance: timedelta,
    networks: frozenset[Network],
) -> UUID:
    now = datetime.now(UTC)
    found = await accounts.require_targets(
        session,
        tenant_id=tenant_id,
        targets=[(f"/targets/{i}", t.account_id, t.network) for i, t in enumerate(body.targets)],
    )
    ordered = {t.account_id: found[t.account_id] for t in body.targets}
    check_networks(ordered, networks)
    content = {
        "text": body.text,
        "link": str(body.link) if body.link else None,
        "media": json_media(body.media),
        "first_comment": body.first_comment,
        "variants": json_variants(body.variants),
    }
    check_content(content, ordered)
    if body.campaign_id is not None:
        await campaigns.require_open(session, tenant_id=tenant_id, campaign_id=body.campaign_id)
    settings = await brands.get(session, tenant_id=tenant_id, brand_id=body.brand_id)
    if body.submit is Submit.schedule and settings.approval_required:
        raise ApprovalRequired(body.brand_id or "")
    timing = (
        await resolve_timing(
            session,
            tenant_id=tenant_id,
            spec=body,
            settings=settings,
            account_ids=list(ordered),
            now=now,
            tolerance=tolerance,
        )
        if body.given
        else None
    )
    status = {
        Submit.draft: PostStatus.draft,
        Submit.review: PostStatus.in_review,
        Submit.schedule: PostStatus.scheduled,
    }[body.submit]
    post_id = uuid.uuid4()
    await repository.insert_post(
        session,
        {
            "id": post_id,
            "tenant_id": tenant_id,
            "brand_id": body.brand_id,
            "created_by": actor,
            "campaign_id": str(body.campaign_id) if body.campaign_id else None,
            **content,
            "status": status.value,
            "scheduled_at": timing.scheduled_at if timing else None,
            "timezone": timing.timezone if timing else None,
            "local_scheduled_at": timing.local if timing else None,
            "recurrence": timing.recurrence if timing else None,
            "series_id": post_id if timing and timing.recurrence else None,
            "correlation_id": current_correlation_id.get(),
            "created_at": now,
            "updated_at": now,
        },
    )
    await post_targets.add(
        session,
        [
            {
                "id": uuid.uuid4(),
                "post_id": post_id,
                "tenant_id": tenant_id,
                "account_id": str(account_id),
                "network": row.network,
                "status": status.value,
                # Until scheduled, a target's due time is only a placeholder nobody claims.
                "due_at": timing.due[account_id] if timing else now,
                **post_targets.account_warning(row),
                "created_at": now,
                "updated_at": now,
            }
            for account_id, row in ordered.items()
        ],
    )
    if status is PostStatus.in_review:
        await record_review(session, post_id, tenant_id, actor, ReviewDecision.submitted, None)
    record = await get(session, tenant_id=tenant_id, post_id=post_id)
    if status is PostStatus.scheduled:
        await announce(session, record, ScheduleChange.scheduled)
    else:
        await notify(session, record, _WEBHOOK_OF_STATUS[status], {})
    log.info("post.created", post_id=str(post_id), tenant_id=tenant_id, status=status.value)
    return post_id


async def get(session: AsyncSession, *, tenant_id: str, post_id: UUID) -> PostRecord:
    """One post of the tenant with its targets, or PostNotFound."""
    row = await repository.get_post(session, tenant_id=tenant_id, post_id=post_id)
    if row is None:
        raise PostNotFound(post_id)
    return PostRecord(row, await post_targets.of_posts(session, [post_id]))


async def require_access(
    session: AsyncSession, *, principal: Principal, post_id: UUID, scope: str
) -> None:
    """PostNotFound for a post of another tenant, or of a brand the caller may not use for
    `scope`: a credential limited to brands never learns the others' posts exist."""
    row = await repository.get_post(session, tenant_id=principal.tenant_id, post_id=post_id)
    if row is None or not principal.allows_on(scope, row.brand_id):
        raise PostNotFound(post_id)


async def list_page(
    session: AsyncSession, *, tenant_id: str, query: PostQuery, brand_ids: frozenset[str] | None
) -> tuple[list[PostRecord], str | None]:
    """A page of the tenant's posts (of `brand_ids` only, unless None), newest first, and the
    cursor of the next one."""
    after = Cursor.decode(query.cursor) if query.cursor else None
    rows = await repository.list_posts(
        session,
        tenant_id=tenant_id,
        query=query,
        brand_ids=brand_ids,
        after=after,
        limit=query.limit + 1,
        targeted=_targeted(query),
    )
    page, next_cursor = split_page(rows, query.limit, at="created_at")
    targets: dict[UUID, list[Row[Any]]] = {row.id: [] for row in page}
    for target in await post_targets.of_posts(session, list(targets)):
        targets[target.post_id].append(target)
    return [PostRecord(row, targets[row.id]) for row in page], next_cursor


def _targeted(query: PostQuery) -> repository.TargetCondition | None:
    """The condition on a post's targets the query asks for, if any."""
    if query.account_id is None and query.network is None:
        return None
    account_id = query.account_id
    network = query.network.value if query.network is not None else None
    return lambda post_id: post_targets.has_target(post_id, account_id=account_id, network=network)


async def update(
    session: AsyncSession, *, tenant_id: str, actor: str, post_id: UUID, patch: PostPatch
) -> PostRecord:
    """Change the content of a post not yet publishing.

    For brands whose posts need approval, a change to an approved or scheduled post sends it
    back to review (a scheduled one is unscheduled: `post.scheduled` with change=cancelled).
    """
    post, targets = await locked(session, tenant_id, post_id, "editing", NOT_STARTED)
    values: dict[str, Any] = {}
    fields = patch.model_dump(exclude_unset=True)
    for name in ("text", "first_comment"):
        if name in fields:
            values[name] = fields[name] or ("" if name == "text" else None)
    if "link" in fields:
        values["link"] = str(patch.link) if patch.link else None
    if patch.media is not None:
        values["media"] = json_media(patch.media)
    if patch.variants is not None:
        values["variants"] = json_variants(patch.variants)
    if "campaign_id" in fields:
        if patch.campaign_id is not None:
            await campaigns.require_open(
                session, tenant_id=tenant_id, campaign_id=patch.campaign_id
            )
        values["campaign_id"] = str(patch.campaign_id) if patch.campaign_id else None
    content = {
        name: values.get(name, getattr(post, name))
        for name in ("text", "link", "media", "first_comment", "variants")
    }
    found = await accounts.require_targets(
        session,
        tenant_id=tenant_id,
        targets=[(f"/targets/{i}", UUID(t.account_id), None) for i, t in enumerate(targets)],
    )
    check_content(content, found)
    now = datetime.now(UTC)
    settings = await brands.get(session, tenant_id=tenant_id, brand_id=post.brand_id)
    back_to_review = settings.approval_required and post.status in (
        PostStatus.approved,
        PostStatus.scheduled,
    )
    if back_to_review:
        values["status"] = PostStatus.in_review.value
        await post_targets.set_status(
            session, post_id=post_id, status=TargetStatus.in_review, now=now
        )
        await record_review(session, post_id, tenant_id, actor, ReviewDecision.submitted, "edited")
    await repository.update_post(session, post_id=post_id, values={**values, "updated_at": now})
    record = await get(session, tenant_id=tenant_id, post_id=post_id)
    if back_to_review and post.status == PostStatus.scheduled:
        await announce(session, record, ScheduleChange.cancelled)
    if back_to_review:
        await notify(session, record, "post.submitted", {"reason": "edited after approval"})
    return record


# Target states in which nothing has gone out yet.
PRE_PUBLISH = (
    TargetStatus.draft,
    TargetStatus.in_review,
    TargetStatus.approved,
    TargetStatus.scheduled,
)


async def locked(
    session: AsyncSession,
    tenant_id: str,
    post_id: UUID,
    action: str,
    allowed: Sequence[PostStatus],
) -> tuple[Row[Any], list[Row[Any]]]:
    """The post and its targets locked (targets first), in one of the allowed states."""
    if await repository.get_post(session, tenant_id=tenant_id, post_id=post_id) is None:
        raise PostNotFound(post_id)
    targets = await post_targets.lock(session, post_id)
    post = await repository.get_post(session, tenant_id=tenant_id, post_id=post_id, for_update=True)
    assert post is not None
    started = any(t.attempts > 0 or t.status not in PRE_PUBLISH for t in targets)
    if post.status not in allowed or started:
        raise WrongState(post_id, post.status, action, [s.value for s in allowed])
    return post, targets


async def move(session: AsyncSession, post_id: UUID, status: PostStatus) -> None:
    """Move a post and its targets to a workflow state."""
    now = datetime.now(UTC)
    await repository.update_post(
        session, post_id=post_id, values={"status": status.value, "updated_at": now}
    )
    await post_targets.set_status(
        session, post_id=post_id, status=TargetStatus(status.value), now=now
    )


async def record_review(
    session: AsyncSession,
    post_id: UUID,
    tenant_id: str,
    reviewer: str,
    decision: ReviewDecision,
    comment: str | None,
) -> Row[Any]:
    return await repository.insert_review(
        session,
        {
            "id": uuid.uuid4(),
            "post_id": post_id,
            "tenant_id": tenant_id,
            "reviewer": reviewer,
            "decision": decision.value,
            "comment": comment,
            "created_at": datetime.now(UTC),
        },
    )


def _summary(record: PostRecord) -> dict[str, Any]:
    post = record.post
    return {
        "post_id": str(post.id),
        "brand_id": post.brand_id,
        "campaign_id": post.campaign_id,
        "status": post.status,
        "scheduled_at": post.scheduled_at.isoformat() if post.scheduled_at else None,
        "targets": [
            {
                "target_id": str(t.id),
                "account_id": t.account_id,
                "network": t.network,
                "status": t.status,
                "due_at": t.due_at.isoformat(),
            }
            for t in record.targets
        ],
    }


async def notify(
    session: AsyncSession, record: PostRecord, event_type: str, extra: Mapping[str, Any]
) -> None:
    """Offer the post's webhook event."""
    await webhooks.notify(
        session,
        tenant_id=record.post.tenant_id,
        event_type=event_type,
        data={**_summary(record), **extra},
        brand_id=record.post.brand_id,
    )


async def announce(
    session: AsyncSession,
    record: PostRecord,
    change: ScheduleChange,
    *,
    only: set[UUID] | None = None,
) -> None:
    """Stage `post.scheduled` and the matching webhook."""
    post = record.post
    targets = [t for t in record.targets if only is None or t.id in only]
    payload = PostScheduled(
        post_id=post.id,
        brand_id=post.brand_id,
        campaign_id=post.campaign_id,
        change=change,
        scheduled_at=min(t.due_at for t in targets),
        targets=[
            PostTarget(target_id=t.id, account_id=t.account_id, network=Network(t.network))
            for t in targets
        ],
    )
    envelope = Envelope.build(
        payload, tenant_id=post.tenant_id, subject=str(post.id), source=SOURCE
    )
    await outbox.stage(session, outbox_table, [envelope], keys=[str(post.id)])
    await notify(session, record, _WEBHOOK_OF_CHANGE[change], {})


async def refresh_status(
    session: AsyncSession, post_ids: Collection[UUID], *, now: datetime
) -> None:
    """Derive each post's status from its targets (cancelled posts stay cancelled)."""
    await repository.refresh_post_status(session, post_ids, counts=post_targets.counts, now=now)
