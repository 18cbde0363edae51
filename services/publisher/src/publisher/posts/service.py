"""Scheduling, reading and cancelling posts; each change stages its event in its transaction."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import orjson
from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncSession

from beacon_shared import outbox
from beacon_shared.contracts.common import Network
from beacon_shared.contracts.publisher import PostScheduled, PostTarget, ScheduleChange
from beacon_shared.events import Envelope
from beacon_shared.logging import get_logger
from beacon_shared.pagination import Cursor
from beacon_shared.tracing import current_correlation_id
from publisher.connectors.registry import BUILT_IN_NETWORKS
from publisher.content import check_variant
from publisher.db import outbox as outbox_table
from publisher.posts import repository
from publisher.posts.exceptions import (
    ContentRejected,
    IdempotencyKeyReused,
    NoConnectorForNetwork,
    PostNotCancellable,
    PostNotFound,
    ScheduledInPast,
)
from publisher.posts.models import PostStatus, TargetStatus
from publisher.posts.schemas import PostIn, PostQuery, TargetIn

SOURCE = "/beacon/publisher"
log = get_logger(__name__)


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


def check_schedulable(scheduled_at: datetime, *, now: datetime, tolerance: timedelta) -> None:
    """A post may be scheduled in the future, or at most `tolerance` ago (clock skew)."""
    if scheduled_at < now - tolerance:
        raise ScheduledInPast(scheduled_at, now)


def check_networks(targets: Sequence[TargetIn], available: Collection[Network]) -> None:
    """Every target's network needs a connector."""
    unsupported = [(i, t.network) for i, t in enumerate(targets) if t.network not in available]
    if unsupported:
        raise NoConnectorForNetwork(unsupported, sorted(n.value for n in available))


def check_content(body: PostIn) -> None:
    """The text (with its link) must suit every target's network; media come with variants."""
    text = f"{body.text} {body.link}" if body.link else body.text
    problems = [
        replace(problem, message=f"{network.value}: {problem.message}")
        for network in dict.fromkeys(target.network for target in body.targets)
        for problem in check_variant(network, text, pointer="")
    ]
    if problems:
        raise ContentRejected(problems)


def fingerprint(body: PostIn) -> str:
    """A digest of the request body, to tell a replay from a reuse of its Idempotency-Key."""
    canonical = orjson.dumps(body.model_dump(mode="json"), option=orjson.OPT_SORT_KEYS)
    return hashlib.sha256(canonical).hexdigest()


async def create(
    session: AsyncSession,
    *,
    tenant_id: str,
    body: PostIn,
    idempotency_key: str | None,
    tolerance: timedelta,
    networks: Collection[Network] = BUILT_IN_NETWORKS,
) -> Created:
    """Store a post and its targets and stage `post.scheduled`; replay an Idempotency-Key."""
    digest = fingerprint(body)
    if idempotency_key is not None:
        # Checked before the time so a retry after the scheduled time still gets its post back.
        replayed = await _replay(session, tenant_id, idempotency_key, digest)
        if replayed is not None:
            return Created(replayed, created=False)
    now = datetime.now(UTC)
    check_schedulable(body.scheduled_at, now=now, tolerance=tolerance)
    check_networks(body.targets, networks)
    check_content(body)
    post_id = uuid.uuid4()
    inserted = await repository.insert_post(
        session,
        {
            "id": post_id,
            "tenant_id": tenant_id,
            "brand_id": body.brand_id,
            "campaign_id": body.campaign_id,
            "text": body.text,
            "link": str(body.link) if body.link else None,
            "status": PostStatus.scheduled.value,
            "scheduled_at": body.scheduled_at,
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
                "account_id": target.account_id,
                "network": target.network.value,
                "status": TargetStatus.scheduled.value,
                "due_at": body.scheduled_at,
                "created_at": now,
                "updated_at": now,
            }
            for target in body.targets
        ],
    )
    record = await get(session, tenant_id=tenant_id, post_id=post_id)
    await _stage(session, record, ScheduleChange.scheduled)
    log.info(
        "post.scheduled",
        post_id=str(post_id),
        tenant_id=tenant_id,
        scheduled_at=body.scheduled_at.isoformat(),
        targets=len(body.targets),
    )
    return Created(record, created=True)


async def get(session: AsyncSession, *, tenant_id: str, post_id: UUID) -> PostRecord:
    """One post of the tenant with its targets, or PostNotFound."""
    row = await repository.get_post(session, tenant_id=tenant_id, post_id=post_id)
    if row is None:
        raise PostNotFound(post_id)
    return PostRecord(row, await repository.targets_of(session, [post_id]))


async def list_page(
    session: AsyncSession, *, tenant_id: str, query: PostQuery
) -> tuple[list[PostRecord], str | None]:
    """A page of the tenant's posts, newest first, and the cursor of the next one."""
    after = Cursor.decode(query.cursor) if query.cursor else None
    rows = await repository.list_posts(
        session, tenant_id=tenant_id, query=query, after=after, limit=query.limit + 1
    )
    page = rows[: query.limit]
    next_cursor = (
        Cursor(page[-1].created_at, page[-1].id).encode() if len(rows) > query.limit else None
    )
    targets: dict[UUID, list[Row[Any]]] = {row.id: [] for row in page}
    for target in await repository.targets_of(session, list(targets)):
        targets[target.post_id].append(target)
    return [PostRecord(row, targets[row.id]) for row in page], next_cursor


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
    if any(t.status != TargetStatus.scheduled or t.attempts > 0 for t in targets):
        raise PostNotCancellable(post_id, row.status)
    await repository.cancel(session, post_id=post_id, now=datetime.now(UTC))
    record = await get(session, tenant_id=tenant_id, post_id=post_id)
    await _stage(session, record, ScheduleChange.cancelled)
    log.info("post.cancelled", post_id=str(post_id), tenant_id=tenant_id)
    return record


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


async def _stage(session: AsyncSession, record: PostRecord, change: ScheduleChange) -> None:
    post = record.post
    payload = PostScheduled(
        post_id=post.id,
        brand_id=post.brand_id,
        campaign_id=post.campaign_id,
        change=change,
        scheduled_at=post.scheduled_at,
        targets=[
            PostTarget(target_id=t.id, account_id=t.account_id, network=Network(t.network))
            for t in record.targets
        ],
    )
    envelope = Envelope.build(
        payload, tenant_id=post.tenant_id, subject=str(post.id), source=SOURCE
    )
    await outbox.stage(session, outbox_table, [envelope], keys=[str(post.id)])
