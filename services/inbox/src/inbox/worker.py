"""The inbox's worker: `python -m inbox.worker` files received interactions in their
conversations, shows moderation's decisions on them, files the brand's own replies (sent through
Beacon, with their outcome, or natively), relays the reply requests and the SLA's events, opens
again conversations whose snooze has ended, raises SLA breaches, and folds the changes to the
status counts into their totals, and erases authors' messages and contacts on request."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from functools import partial

from beacon_shared import idempotency
from beacon_shared.contracts.topics import (
    ACTION_COMPLETED,
    ACTION_REQUESTED,
    BRAND_CONFIGURED,
    COMMENT_MODERATED,
    COMMENT_RECEIVED,
    CONVERSATION_RESOLVED,
    ERASURE_COMPLETED,
    ERASURE_REQUESTED,
    OWN_ACTIVITY_RECORDED,
    RESOLUTION_RECORDED,
    RESPONSE_RECORDED,
    SLA_BREACHED,
)
from beacon_shared.worker import Job, WorkerContext, WorkerSpec, every, worker_main
from inbox.config import Settings
from inbox.conversations import service
from inbox.conversations.handlers import decisions_consumer, interactions_consumer
from inbox.db import inbox, outbox
from inbox.events_out import worker_jobs
from inbox.privacy.handlers import erasures_consumer
from inbox.replies import unthreaded
from inbox.replies.handlers import replies_consumer
from inbox.replies.keys import reply_keys
from inbox.replies.unthreaded import UNTHREADED_SECONDS
from inbox.sla import breaches as sla_breaches
from inbox.sla.brands import brands_consumer

# How often the changes to the kept counts are folded into their totals: what a count reads
# besides the totals is what changed since.
FOLD_SECONDS = 10.0
# How often the replies' expired Idempotency-Keys are forgotten.
PRUNE_SECONDS = 3600.0


def jobs(context: WorkerContext) -> Sequence[Job]:
    """The snooze alarm, a pass every `snooze_poll_seconds`, and the counts' fold."""
    settings = context.settings
    assert isinstance(settings, Settings)

    async def wake() -> None:
        async with context.sessionmaker() as session, session.begin():
            await service.wake_snoozed(session, now=datetime.now(UTC))

    async def fold() -> None:
        async with context.sessionmaker() as session, session.begin():
            await service.fold_counts(session)

    async def unthreaded_replies() -> None:
        async with context.sessionmaker() as session, session.begin():
            await unthreaded.retry(session, now=datetime.now(UTC))

    async def breaches() -> None:
        async with context.sessionmaker() as session, session.begin():
            await sla_breaches.find(session, now=datetime.now(UTC))

    return [
        every(settings.snooze_poll_seconds, wake, name="inbox.snooze"),
        every(settings.sla_poll_seconds, breaches, name="inbox.sla"),
        every(FOLD_SECONDS, fold, name="inbox.counts"),
        every(UNTHREADED_SECONDS, unthreaded_replies, name="inbox.unthreaded_replies"),
        *worker_jobs(context),
        every(
            PRUNE_SECONDS,
            partial(idempotency.prune, context.sessionmaker, reply_keys),
            name="inbox.idempotency_keys",
        ),
    ]


def spec() -> WorkerSpec:
    """What the inbox's worker runs: the two consumers and the snooze alarm."""
    return WorkerSpec(
        topics=(
            COMMENT_RECEIVED,
            COMMENT_MODERATED,
            ACTION_COMPLETED,
            OWN_ACTIVITY_RECORDED,
            ACTION_REQUESTED,
            SLA_BREACHED,
            CONVERSATION_RESOLVED,
            RESPONSE_RECORDED,
            RESOLUTION_RECORDED,
            BRAND_CONFIGURED,
            ERASURE_REQUESTED,
            ERASURE_COMPLETED,
        ),
        inbox=inbox,
        outbox=outbox,
        consumers=(
            interactions_consumer(),
            decisions_consumer(),
            replies_consumer(),
            brands_consumer(),
            erasures_consumer(),
        ),
        jobs=jobs,
    )


if __name__ == "__main__":
    worker_main(Settings(), spec())
