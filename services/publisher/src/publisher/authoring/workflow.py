"""A post's way through review and scheduling: submitted, approved or sent back, scheduled,
cancelled, retried."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncSession

from beacon_shared.contracts.publisher import ScheduleChange
from beacon_shared.logging import get_logger
from publisher.authoring import repository
from publisher.authoring.exceptions import (
    ApprovalRequired,
    NothingToRetry,
    PostNotCancellable,
    PostNotFound,
    SelfApprovalRefused,
    TimeRequired,
)
from publisher.authoring.models import PostStatus, ReviewDecision
from publisher.authoring.schemas import ReviewIn, ScheduleIn
from publisher.authoring.service import (
    NOT_STARTED,
    PRE_PUBLISH,
    PostRecord,
    announce,
    get,
    locked,
    move,
    notify,
    record_review,
    refresh_status,
)
from publisher.authoring.timing import resolve_timing
from publisher.brands import service as brands
from publisher.delivery import targets as post_targets
from publisher.delivery.status import TargetStatus

log = get_logger(__name__)


async def submit(session: AsyncSession, *, tenant_id: str, actor: str, post_id: UUID) -> PostRecord:
    """Send a draft to the reviewers."""
    await locked(session, tenant_id, post_id, "submitting", (PostStatus.draft,))
    await move(session, post_id, PostStatus.in_review)
    await record_review(session, post_id, tenant_id, actor, ReviewDecision.submitted, None)
    record = await get(session, tenant_id=tenant_id, post_id=post_id)
    await notify(session, record, "post.submitted", {})
    return record


async def approve(
    session: AsyncSession,
    *,
    tenant_id: str,
    actor: str,
    post_id: UUID,
    review: ReviewIn,
    tolerance: timedelta,
) -> PostRecord:
    """Approve a post in review; one whose time is still ahead is scheduled at once. Its author
    approves it only where the brand allows self-approval (SelfApprovalRefused)."""
    post, _ = await locked(session, tenant_id, post_id, "approval", (PostStatus.in_review,))
    if post.created_by == actor:
        settings = await brands.get(session, tenant_id=tenant_id, brand_id=post.brand_id)
        if not settings.self_approval_allowed:
            raise SelfApprovalRefused(post_id)
    await record_review(session, post_id, tenant_id, actor, ReviewDecision.approved, review.comment)
    # A post whose time passed while it was in review is approved without being scheduled: it
    # needs a new time (POST /schedule) rather than going out late.
    timed = post.scheduled_at is not None and post.scheduled_at >= datetime.now(UTC) - tolerance
    await move(session, post_id, PostStatus.scheduled if timed else PostStatus.approved)
    record = await get(session, tenant_id=tenant_id, post_id=post_id)
    await notify(session, record, "post.approved", {"reviewer": actor})
    if timed:
        await announce(session, record, ScheduleChange.scheduled)
    return record


async def request_changes(
    session: AsyncSession, *, tenant_id: str, actor: str, post_id: UUID, review: ReviewIn
) -> PostRecord:
    """Send a post in review back to draft, with the reviewer's comment."""
    await locked(session, tenant_id, post_id, "requesting changes", (PostStatus.in_review,))
    await record_review(
        session, post_id, tenant_id, actor, ReviewDecision.changes_requested, review.comment
    )
    await move(session, post_id, PostStatus.draft)
    record = await get(session, tenant_id=tenant_id, post_id=post_id)
    await notify(
        session,
        record,
        "post.changes_requested",
        {"reviewer": actor, "comment": review.comment},
    )
    return record


async def comment(
    session: AsyncSession, *, tenant_id: str, actor: str, post_id: UUID, review: ReviewIn
) -> Row[Any]:
    """A reviewer's comment that changes nothing."""
    await get(session, tenant_id=tenant_id, post_id=post_id)
    return await record_review(
        session, post_id, tenant_id, actor, ReviewDecision.comment, review.comment
    )


async def reviews(session: AsyncSession, *, tenant_id: str, post_id: UUID) -> list[Row[Any]]:
    """The post's review history, oldest first."""
    await get(session, tenant_id=tenant_id, post_id=post_id)
    return await repository.reviews_of(session, post_id)


async def schedule(
    session: AsyncSession,
    *,
    tenant_id: str,
    post_id: UUID,
    spec: ScheduleIn,
    tolerance: timedelta,
) -> PostRecord:
    """Give a post its time: schedules an approved post (or a draft, where no approval is
    needed), or moves a scheduled one (`rescheduled`)."""
    post, targets = await locked(session, tenant_id, post_id, "scheduling", NOT_STARTED)
    if not spec.given:
        raise TimeRequired
    settings = await brands.get(session, tenant_id=tenant_id, brand_id=post.brand_id)
    if post.status == PostStatus.in_review or (
        post.status == PostStatus.draft and settings.approval_required
    ):
        raise ApprovalRequired(post.brand_id or "")
    now = datetime.now(UTC)
    timing = await resolve_timing(
        session,
        tenant_id=tenant_id,
        spec=spec,
        settings=settings,
        account_ids=[UUID(t.account_id) for t in targets],
        now=now,
        tolerance=tolerance,
        post_id=post_id,
    )
    await repository.update_post(
        session,
        post_id=post_id,
        values={
            "status": PostStatus.scheduled.value,
            "scheduled_at": timing.scheduled_at,
            "timezone": timing.timezone,
            "local_scheduled_at": timing.local,
            "recurrence": timing.recurrence,
            "series_id": post.series_id or (post_id if timing.recurrence else None),
            "updated_at": now,
        },
    )
    await post_targets.schedule(
        session,
        due={t.id: timing.due[UUID(t.account_id)] for t in targets},
        now=now,
    )
    record = await get(session, tenant_id=tenant_id, post_id=post_id)
    change = (
        ScheduleChange.rescheduled
        if post.status == PostStatus.scheduled
        else ScheduleChange.scheduled
    )
    await announce(session, record, change)
    return record


async def cancel(session: AsyncSession, *, tenant_id: str, post_id: UUID) -> PostRecord:
    """Cancel a post none of whose targets has started publishing; cancelling twice is a no-op."""
    if await repository.get_post(session, tenant_id=tenant_id, post_id=post_id) is None:
        raise PostNotFound(post_id)
    # Targets first (waiting out a claim in progress), then the post: the repository's lock order.
    targets = await post_targets.lock(session, post_id)
    row = await repository.get_post(session, tenant_id=tenant_id, post_id=post_id, for_update=True)
    assert row is not None
    if row.status == PostStatus.cancelled:
        return PostRecord(row, targets)
    # A target handed back for a retry may already be out, so any attempt at all forbids cancelling.
    if any(t.status not in PRE_PUBLISH or t.attempts > 0 for t in targets):
        raise PostNotCancellable(post_id, row.status)
    now = datetime.now(UTC)
    await post_targets.cancel(session, post_id=post_id, now=now)
    await repository.cancel(session, post_id=post_id, now=now)
    record = await get(session, tenant_id=tenant_id, post_id=post_id)
    if row.status == PostStatus.scheduled:
        await announce(session, record, ScheduleChange.cancelled)
    else:
        await notify(session, record, "post.cancelled", {})
    log.info("post.cancelled", post_id=str(post_id), tenant_id=tenant_id)
    return record


async def cancel_brand(session: AsyncSession, *, tenant_id: str, brand_id: str) -> int:
    """Cancel every post of a deleted brand that has not started publishing (one already
    attempted is left to finish); how many were cancelled."""
    cancelled = 0
    for post_id in await repository.posts_of_brand(
        session, tenant_id=tenant_id, brand_id=brand_id, statuses=NOT_STARTED
    ):
        try:
            await cancel(session, tenant_id=tenant_id, post_id=post_id)
        except PostNotCancellable:
            log.warning("post.not_cancelled_with_brand", post_id=str(post_id), brand_id=brand_id)
            continue
        cancelled += 1
    log.info("brand.posts_cancelled", tenant_id=tenant_id, brand_id=brand_id, posts=cancelled)
    return cancelled


async def retry_failed(session: AsyncSession, *, tenant_id: str, post_id: UUID) -> PostRecord:
    """Publish the failed targets again, now; published ones are left alone."""
    if await repository.get_post(session, tenant_id=tenant_id, post_id=post_id) is None:
        raise PostNotFound(post_id)
    targets = await post_targets.lock(session, post_id)
    failed = [t for t in targets if t.status == TargetStatus.failed]
    if not failed:
        raise NothingToRetry(post_id)
    now = datetime.now(UTC)
    await post_targets.retry(session, [t.id for t in failed], now=now)
    await refresh_status(session, [post_id], now=now)
    record = await get(session, tenant_id=tenant_id, post_id=post_id)
    await announce(session, record, ScheduleChange.rescheduled, only={t.id for t in failed})
    return record
