"""Posts through their workflow: drafted, reviewed, scheduled, rescheduled, cancelled, retried.

Every change stages its `post.scheduled` event and its webhooks in the same transaction.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import orjson
from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncSession

from beacon_shared import outbox
from beacon_shared.auth.principal import Principal
from beacon_shared.contracts.common import Network
from beacon_shared.contracts.publisher import PostScheduled, PostTarget, ScheduleChange
from beacon_shared.events import Envelope
from beacon_shared.logging import get_logger
from beacon_shared.pagination import Cursor
from beacon_shared.tracing import current_correlation_id
from publisher.accounts import service as accounts
from publisher.brands import service as brands
from publisher.brands.schemas import BrandSettings
from publisher.calendar import next_occurrence, to_utc, validate_rrule, zone
from publisher.campaigns import service as campaigns
from publisher.content import check_variant
from publisher.db import outbox as outbox_table
from publisher.posts import repository, slots
from publisher.posts.exceptions import (
    ApprovalRequired,
    ContentRejected,
    IdempotencyKeyReused,
    NoConnectorForNetwork,
    NothingToRetry,
    PostNotCancellable,
    PostNotFound,
    ScheduledInPast,
    SelfApprovalRefused,
    TimeRequired,
    WrongState,
)
from publisher.posts.models import PostStatus, ReviewDecision, TargetStatus
from publisher.posts.schemas import (
    PostIn,
    PostPatch,
    PostQuery,
    ReviewIn,
    ScheduleIn,
    Submit,
)
from publisher.posts.variants import variant_for
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


@dataclass(frozen=True)
class Created:
    """The outcome of a create: the post, and False when an Idempotency-Key replayed it."""

    record: PostRecord
    created: bool


@dataclass(frozen=True)
class Timing:
    """When each target is due, and how the time was given."""

    due: Mapping[UUID, datetime]
    timezone: str | None
    local: datetime | None
    recurrence: str | None

    @property
    def scheduled_at(self) -> datetime:
        """The post's time: its earliest target's."""
        return min(self.due.values())


def check_schedulable(scheduled_at: datetime, *, now: datetime, tolerance: timedelta) -> None:
    """A post may be scheduled in the future, or at most `tolerance` ago (clock skew)."""
    if scheduled_at < now - tolerance:
        raise ScheduledInPast(scheduled_at, now)


def fingerprint(body: PostIn) -> str:
    """A digest of the request body, to tell a replay from a reuse of its Idempotency-Key."""
    canonical = orjson.dumps(body.model_dump(mode="json"), option=orjson.OPT_SORT_KEYS)
    return hashlib.sha256(canonical).hexdigest()


def _json_media(media: Sequence[Any]) -> list[dict[str, Any]]:
    return [m.model_dump(mode="json", exclude_none=True) for m in media]


def _json_variants(variants: Mapping[Network, Any]) -> dict[str, Any]:
    return {n.value: v.model_dump(mode="json", exclude_none=True) for n, v in variants.items()}


def check_content(content: Mapping[str, Any], accounts_by_id: Mapping[UUID, Row[Any]]) -> None:
    """Every target's variant must meet its network's rules (Mastodon: the account's instance)."""
    problems = []
    seen: set[tuple[str, int | None]] = set()
    for row in accounts_by_id.values():
        network = Network(row.network)
        if (network.value, row.max_characters) in seen:
            continue
        seen.add((network.value, row.max_characters))
        variant = variant_for(network, **content)
        found = check_variant(
            network,
            variant.text_with_link,
            [m.kind for m in variant.media],
            pointer="",
            mastodon_max_characters=row.max_characters,
        )
        for problem in found:
            # check_variant points at "/text", "/media" or "" (the whole variant); each points
            # where the offending field came from, named after the network it breaks.
            pointer = {"/text": variant.text_pointer, "/media": variant.media_pointer}.get(
                problem.pointer, problem.pointer
            )
            problems.append(
                replace(problem, pointer=pointer, message=f"{network.value}: {problem.message}")
            )
    if problems:
        raise ContentRejected(problems)


def check_networks(accounts_by_id: Mapping[UUID, Row[Any]], available: frozenset[Network]) -> None:
    """Every target's network needs a connector."""
    unsupported = [
        (i, Network(row.network))
        for i, row in enumerate(accounts_by_id.values())
        if Network(row.network) not in available
    ]
    if unsupported:
        raise NoConnectorForNetwork(unsupported, sorted(n.value for n in available))


async def resolve_timing(
    session: AsyncSession,
    *,
    tenant_id: str,
    spec: ScheduleIn,
    settings: BrandSettings,
    account_ids: Sequence[UUID],
    now: datetime,
    tolerance: timedelta,
    post_id: UUID | None = None,
) -> Timing:
    """Each target's due time from an instant, a local time or the accounts' queues (where
    `post_id`, being rescheduled, holds no slot)."""
    if spec.next_slot:
        due = {
            account_id: await slots.next_free(
                session,
                tenant_id=tenant_id,
                account_id=account_id,
                tz=settings.timezone,
                after=now,
                pointer=f"/targets/{index}",
                exclude_post=post_id,
            )
            for index, account_id in enumerate(account_ids)
        }
        return Timing(due, settings.timezone, None, None)
    tz: str | None
    local: datetime | None
    if spec.local_time is not None:
        tz = spec.timezone or settings.timezone
        local = spec.local_time.replace(second=0, microsecond=0)
        at = to_utc(local, tz)
    else:
        assert spec.scheduled_at is not None
        at = spec.scheduled_at.astimezone(UTC)
        tz = settings.timezone if spec.recurrence else None
        local = at.astimezone(zone(tz)).replace(tzinfo=None) if tz else None
    check_schedulable(at, now=now, tolerance=tolerance)
    if spec.recurrence is not None:
        assert tz is not None
        assert local is not None
        validate_rrule(spec.recurrence, start_local=local, tz=tz)
    return Timing(dict.fromkeys(account_ids, at), tz, local, spec.recurrence)


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
    """Store a post by `actor` in the state `submit` asks for; replay an Idempotency-Key."""
    digest = fingerprint(body)
    if idempotency_key is not None:
        # Checked before the time so a retry after the scheduled time still gets its post back.
        replayed = await _replay(session, tenant_id, idempotency_key, digest)
        if replayed is not None:
            return Created(replayed, created=False)
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
        "media": _json_media(body.media),
        "first_comment": body.first_comment,
        "variants": _json_variants(body.variants),
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
    inserted = await repository.insert_post(
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
            "idempotency_key": idempotency_key,
            "request_hash": digest if idempotency_key is not None else None,
            "correlation_id": current_correlation_id.get(),
            "created_at": now,
            "updated_at": now,
        },
    )
    if not inserted:
        # A concurrent request with the same key committed first; ours waited for it.
        assert idempotency_key is not None
        replayed = await _replay(session, tenant_id, idempotency_key, digest)
        assert replayed is not None
        return Created(replayed, created=False)
    await repository.insert_targets(
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
                **account_warning(row),
                "created_at": now,
                "updated_at": now,
            }
            for account_id, row in ordered.items()
        ],
    )
    if status is PostStatus.in_review:
        await _review(session, post_id, tenant_id, actor, ReviewDecision.submitted, None)
    record = await get(session, tenant_id=tenant_id, post_id=post_id)
    if status is PostStatus.scheduled:
        await _announce(session, record, ScheduleChange.scheduled)
    else:
        await _notify(session, record, _WEBHOOK_OF_STATUS[status], {})
    log.info("post.created", post_id=str(post_id), tenant_id=tenant_id, status=status.value)
    return Created(record, created=True)


async def get(session: AsyncSession, *, tenant_id: str, post_id: UUID) -> PostRecord:
    """One post of the tenant with its targets, or PostNotFound."""
    row = await repository.get_post(session, tenant_id=tenant_id, post_id=post_id)
    if row is None:
        raise PostNotFound(post_id)
    return PostRecord(row, await repository.targets_of(session, [post_id]))


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
    )
    page = rows[: query.limit]
    next_cursor = (
        Cursor(page[-1].created_at, page[-1].id).encode() if len(rows) > query.limit else None
    )
    targets: dict[UUID, list[Row[Any]]] = {row.id: [] for row in page}
    for target in await repository.targets_of(session, list(targets)):
        targets[target.post_id].append(target)
    return [PostRecord(row, targets[row.id]) for row in page], next_cursor


async def update(
    session: AsyncSession, *, tenant_id: str, actor: str, post_id: UUID, patch: PostPatch
) -> PostRecord:
    """Change the content of a post not yet publishing.

    For brands whose posts need approval, a change to an approved or scheduled post sends it
    back to review (a scheduled one is unscheduled: `post.scheduled` with change=cancelled).
    """
    post, targets = await _locked(session, tenant_id, post_id, "editing", NOT_STARTED)
    values: dict[str, Any] = {}
    fields = patch.model_dump(exclude_unset=True)
    for name in ("text", "first_comment"):
        if name in fields:
            values[name] = fields[name] or ("" if name == "text" else None)
    if "link" in fields:
        values["link"] = str(patch.link) if patch.link else None
    if patch.media is not None:
        values["media"] = _json_media(patch.media)
    if patch.variants is not None:
        values["variants"] = _json_variants(patch.variants)
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
        await repository.set_target_status(
            session, post_id=post_id, status=TargetStatus.in_review, now=now
        )
        await _review(session, post_id, tenant_id, actor, ReviewDecision.submitted, "edited")
    await repository.update_post(session, post_id=post_id, values={**values, "updated_at": now})
    record = await get(session, tenant_id=tenant_id, post_id=post_id)
    if back_to_review and post.status == PostStatus.scheduled:
        await _announce(session, record, ScheduleChange.cancelled)
    if back_to_review:
        await _notify(session, record, "post.submitted", {"reason": "edited after approval"})
    return record


async def submit(session: AsyncSession, *, tenant_id: str, actor: str, post_id: UUID) -> PostRecord:
    """Send a draft to the reviewers."""
    await _locked(session, tenant_id, post_id, "submitting", (PostStatus.draft,))
    await _move(session, post_id, PostStatus.in_review)
    await _review(session, post_id, tenant_id, actor, ReviewDecision.submitted, None)
    record = await get(session, tenant_id=tenant_id, post_id=post_id)
    await _notify(session, record, "post.submitted", {})
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
    post, _ = await _locked(session, tenant_id, post_id, "approval", (PostStatus.in_review,))
    if post.created_by == actor:
        settings = await brands.get(session, tenant_id=tenant_id, brand_id=post.brand_id)
        if not settings.self_approval_allowed:
            raise SelfApprovalRefused(post_id)
    await _review(session, post_id, tenant_id, actor, ReviewDecision.approved, review.comment)
    # A post whose time passed while it was in review is approved without being scheduled: it
    # needs a new time (POST /schedule) rather than going out late.
    timed = post.scheduled_at is not None and post.scheduled_at >= datetime.now(UTC) - tolerance
    await _move(session, post_id, PostStatus.scheduled if timed else PostStatus.approved)
    record = await get(session, tenant_id=tenant_id, post_id=post_id)
    await _notify(session, record, "post.approved", {"reviewer": actor})
    if timed:
        await _announce(session, record, ScheduleChange.scheduled)
    return record


async def request_changes(
    session: AsyncSession, *, tenant_id: str, actor: str, post_id: UUID, review: ReviewIn
) -> PostRecord:
    """Send a post in review back to draft, with the reviewer's comment."""
    await _locked(session, tenant_id, post_id, "requesting changes", (PostStatus.in_review,))
    await _review(
        session, post_id, tenant_id, actor, ReviewDecision.changes_requested, review.comment
    )
    await _move(session, post_id, PostStatus.draft)
    record = await get(session, tenant_id=tenant_id, post_id=post_id)
    await _notify(
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
    return await _review(session, post_id, tenant_id, actor, ReviewDecision.comment, review.comment)


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
    post, targets = await _locked(session, tenant_id, post_id, "scheduling", NOT_STARTED)
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
    await repository.schedule_targets(
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
    await _announce(session, record, change)
    return record


async def cancel(session: AsyncSession, *, tenant_id: str, post_id: UUID) -> PostRecord:
    """Cancel a post none of whose targets has started publishing; cancelling twice is a no-op."""
    if await repository.get_post(session, tenant_id=tenant_id, post_id=post_id) is None:
        raise PostNotFound(post_id)
    # Targets first (waiting out a claim in progress), then the post: the repository's lock order.
    targets = await repository.lock_targets(session, post_id)
    row = await repository.get_post(session, tenant_id=tenant_id, post_id=post_id, for_update=True)
    assert row is not None
    if row.status == PostStatus.cancelled:
        return PostRecord(row, targets)
    # A target handed back for a retry may already be out, so any attempt at all forbids cancelling.
    if any(t.status not in _PRE_PUBLISH or t.attempts > 0 for t in targets):
        raise PostNotCancellable(post_id, row.status)
    await repository.cancel(session, post_id=post_id, now=datetime.now(UTC))
    record = await get(session, tenant_id=tenant_id, post_id=post_id)
    if row.status == PostStatus.scheduled:
        await _announce(session, record, ScheduleChange.cancelled)
    else:
        await _notify(session, record, "post.cancelled", {})
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
    targets = await repository.lock_targets(session, post_id)
    failed = [t for t in targets if t.status == TargetStatus.failed]
    if not failed:
        raise NothingToRetry(post_id)
    now = datetime.now(UTC)
    await repository.retry_targets(session, [t.id for t in failed], now=now)
    await repository.refresh_post_status(session, [post_id], now=now)
    record = await get(session, tenant_id=tenant_id, post_id=post_id)
    await _announce(session, record, ScheduleChange.rescheduled, only={t.id for t in failed})
    return record


async def spawn_next_occurrence(session: AsyncSession, post: Row[Any]) -> UUID | None:
    """Create the next post of a recurring series, once; None when the series is over."""
    if post.recurrence is None or post.series_id is None:
        return None
    first = await repository.get_post(session, tenant_id=post.tenant_id, post_id=post.series_id)
    if first is None or first.local_scheduled_at is None or first.timezone is None:
        return None
    at = next_occurrence(
        post.recurrence,
        start_local=first.local_scheduled_at,
        tz=first.timezone,
        after=post.scheduled_at,
    )
    if at is None:
        return None
    now = datetime.now(UTC)
    next_id = uuid.uuid4()
    local = at.astimezone(zone(first.timezone)).replace(tzinfo=None)
    inserted = await repository.insert_occurrence(
        session, source=post.id, new_id=next_id, at=at, local=local, now=now
    )
    if not inserted:
        return None
    record = await get(session, tenant_id=post.tenant_id, post_id=next_id)
    await _announce(session, record, ScheduleChange.scheduled)
    return next_id


_PRE_PUBLISH = (
    TargetStatus.draft,
    TargetStatus.in_review,
    TargetStatus.approved,
    TargetStatus.scheduled,
)


async def _locked(
    session: AsyncSession,
    tenant_id: str,
    post_id: UUID,
    action: str,
    allowed: Sequence[PostStatus],
) -> tuple[Row[Any], list[Row[Any]]]:
    """The post and its targets locked (targets first), in one of the allowed states."""
    if await repository.get_post(session, tenant_id=tenant_id, post_id=post_id) is None:
        raise PostNotFound(post_id)
    targets = await repository.lock_targets(session, post_id)
    post = await repository.get_post(session, tenant_id=tenant_id, post_id=post_id, for_update=True)
    assert post is not None
    started = any(t.attempts > 0 or t.status not in _PRE_PUBLISH for t in targets)
    if post.status not in allowed or started:
        raise WrongState(post_id, post.status, action, [s.value for s in allowed])
    return post, targets


async def _move(session: AsyncSession, post_id: UUID, status: PostStatus) -> None:
    now = datetime.now(UTC)
    await repository.update_post(
        session, post_id=post_id, values={"status": status.value, "updated_at": now}
    )
    await repository.set_target_status(
        session, post_id=post_id, status=TargetStatus(status.value), now=now
    )


async def _review(
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


async def _replay(
    session: AsyncSession, tenant_id: str, idempotency_key: str, digest: str
) -> PostRecord | None:
    row = await repository.find_by_idempotency_key(
        session, tenant_id=tenant_id, idempotency_key=idempotency_key
    )
    if row is None:
        return None
    if row.request_hash != digest:
        raise IdempotencyKeyReused(row.id)
    log.info("post.idempotent_replay", post_id=str(row.id), tenant_id=tenant_id)
    return PostRecord(row, await repository.targets_of(session, [row.id]))


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


async def _notify(
    session: AsyncSession, record: PostRecord, event_type: str, extra: Mapping[str, Any]
) -> None:
    await webhooks.notify(
        session,
        tenant_id=record.post.tenant_id,
        event_type=event_type,
        data={**_summary(record), **extra},
        brand_id=record.post.brand_id,
    )


async def _announce(
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
    await _notify(session, record, _WEBHOOK_OF_CHANGE[change], {})


def account_warning(account: Row[Any]) -> dict[str, str | None]:
    """The warning a new target on a stopped account starts with (none on a usable one)."""
    if account.status == "needs_reauth":
        reason = account.status_reason or "its token was refused"
        return {
            "warning": f"the account needs reconnecting: {reason}",
            "warning_kind": "credentials",
        }
    if account.status == "disconnected":
        return {
            "warning": "the account was disconnected in the workspace",
            "warning_kind": "account",
        }
    return {"warning": None, "warning_kind": None}


async def warn_account_targets(
    session: AsyncSession,
    *,
    tenant_id: str,
    account_id: UUID,
    warning: str,
    kind: str,
    now: datetime,
) -> list[Row[Any]]:
    """Flag the account's targets not out yet (it stopped: they would fail at their time);
    their id, post and due time, soonest first."""
    flagged = await repository.warn_targets_of_account(
        session,
        tenant_id=tenant_id,
        account_id=str(account_id),
        warning=warning,
        kind=kind,
        now=now,
    )
    if flagged:
        log.warning(
            "account.targets_flagged", account_id=str(account_id), kind=kind, targets=len(flagged)
        )
    return flagged


async def move_account_targets(
    session: AsyncSession, *, tenant_id: str, from_account: UUID, to_account: UUID, now: datetime
) -> int:
    """The targets of an account taken over go to the account taking it over (a post already on
    both keeps its own there); how many stay behind."""
    return await repository.move_targets_of_account(
        session,
        tenant_id=tenant_id,
        from_account=str(from_account),
        to_account=str(to_account),
        now=now,
    )


async def clear_account_warnings(
    session: AsyncSession, *, tenant_id: str, account_id: UUID, now: datetime
) -> int:
    """The account is usable again: its targets lose their warnings; how many had one."""
    return await repository.clear_warnings_of_account(
        session, tenant_id=tenant_id, account_id=str(account_id), now=now
    )
