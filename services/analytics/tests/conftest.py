"""Analytics fixtures: envelopes of the events analytics counts, for one test tenant."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from datetime import UTC, datetime
from typing import Any

import pytest
from aiokafka import ConsumerRecord
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from analytics.aggregation import aggregate
from analytics.config import Settings
from analytics.db import inbox
from analytics.rollups.models import rollup
from beacon_shared.consumer import Consumer, ConsumerRunner
from beacon_shared.contracts.common import Author, Network
from beacon_shared.contracts.ingest import (
    ActionCompleted,
    ActionOutcome,
    CommentReceived,
    EngagementRecorded,
    InteractionKind,
    PostMetricsObserved,
)
from beacon_shared.contracts.moderation import CommentModerated, ModerationAction, sentiment_label
from beacon_shared.contracts.publisher import (
    BrandConfigured,
    PostFailed,
    PostPublished,
    PostScheduled,
    PostTarget,
    ScheduleChange,
)
from beacon_shared.contracts.workspace import BrandConfigured as WorkspaceBrandConfigured
from beacon_shared.events import Envelope, EventPayload, encode

AT = datetime(2026, 11, 24, 10, 15, 42, tzinfo=UTC)
# What comment.moderated carries since analytics stopped joining it with comment.received.
ADDED_TO_DECISIONS = frozenset(
    {
        "sentiment",
        "toxicity",
        "kind",
        "account_external_id",
        "thread_external_id",
        "author_id",
        "comment_created_at",
        "comment_received_at",
    }
)


class Events:
    """Builds envelopes for one tenant, as their producers would.

    Each envelope is stamped with the time its producer would have stored it (`received`,
    by default the event's own time), so lateness never depends on when the tests run.
    """

    def __init__(self, tenant_id: str) -> None:
        self.tenant_id = tenant_id
        # The comments built so far, by interaction id: a decision on one carries its
        # where, who and when, as moderation sends them.
        self.comments: dict[uuid.UUID, CommentReceived] = {}

    def _envelope(self, payload: EventPayload, source: str, received: datetime) -> Envelope:
        envelope = Envelope.build(
            payload, tenant_id=self.tenant_id, subject=str(uuid.uuid4()), source=source
        )
        return envelope.model_copy(update={"time": received})

    def comment(
        self,
        *,
        kind: InteractionKind = InteractionKind.comment,
        brand_id: str | None = "brand-a",
        created_at: datetime = AT,
        received: datetime | None = None,
        interaction_id: uuid.UUID | None = None,
        network: Network = Network.custom,
        account: str | None = "acc-1",
        thread: str | None = None,
        author: str = "u-1",
    ) -> Envelope:
        payload = CommentReceived(
            interaction_id=interaction_id or uuid.uuid4(),
            brand_id=brand_id,
            account_external_id=account,
            network=network,
            kind=kind,
            external_id=uuid.uuid4().hex,
            thread_external_id=thread,
            author=Author(network_id=author),
            text="hello",
            created_at=created_at,
            received_at=received or created_at,
        )
        self.comments[payload.interaction_id] = payload
        return self._envelope(payload, "/beacon/ingest", received or created_at)

    def engagement(
        self,
        *,
        kind: InteractionKind = InteractionKind.reaction,
        created_at: datetime = AT,
        network: Network = Network.custom,
        target: str | None = None,
        author: str = "u-2",
        brand_id: str | None = "brand-a",
    ) -> Envelope:
        payload = EngagementRecorded(
            interaction_id=uuid.uuid4(),
            brand_id=brand_id,
            account_external_id="acc-1",
            network=network,
            kind=kind,
            external_id=uuid.uuid4().hex,
            target_external_id=target,
            author=Author(network_id=author),
            created_at=created_at,
            received_at=created_at,
        )
        return self._envelope(payload, "/beacon/ingest", created_at)

    def decision(
        self,
        *,
        action: ModerationAction = ModerationAction.hide,
        decided_at: datetime = AT,
        interaction_id: uuid.UUID | None = None,
        sentiment: float | None = None,
        network: Network | None = None,
        old: bool = False,
        **revision: Any,
    ) -> Envelope:
        """A decision as moderation sends it: a first one carries the comment's where, who and
        when (of a comment built before with `interaction_id`) and the sentiment's label;
        `old=True`: as it sent them before, with neither."""
        interaction_id = interaction_id or uuid.uuid4()
        comment = self.comments.get(interaction_id)
        described: dict[str, Any] = {}
        if not old and sentiment is not None:
            described["sentiment"] = sentiment_label(sentiment)
        if not old and comment is not None and "replaces_action" not in revision:
            described |= {
                "kind": comment.kind,
                "account_external_id": comment.account_external_id,
                "thread_external_id": comment.thread_external_id,
                "author_id": comment.author.network_id,
                "comment_created_at": comment.created_at,
                "comment_received_at": comment.received_at,
            }
        payload = CommentModerated(
            **revision,
            **described,
            decision_id=uuid.uuid4(),
            interaction_id=interaction_id,
            brand_id="brand-a",
            network=network or (comment.network if comment else Network.custom),
            external_id=uuid.uuid4().hex,
            action=action,
            decided_by="rule:placeholder",
            scores={} if sentiment is None else {"toxicity": 0.01, "sentiment": sentiment},
            decided_at=decided_at,
        )
        envelope = self._envelope(payload, "/beacon/moderation", decided_at)
        if old:
            data = {k: v for k, v in envelope.data.items() if k not in ADDED_TO_DECISIONS}
            envelope = envelope.model_copy(update={"data": data})
        return envelope

    def reply_completed(
        self,
        *,
        interaction_id: uuid.UUID,
        commented_at: datetime,
        completed_at: datetime,
        outcome: ActionOutcome = ActionOutcome.succeeded,
        action: str = "reply",
    ) -> Envelope:
        payload = ActionCompleted(
            action_id=uuid.uuid4(),
            interaction_id=interaction_id,
            brand_id="brand-a",
            network=Network.facebook,
            external_id=uuid.uuid4().hex,
            action=action,
            outcome=outcome,
            attempts=1,
            requested_by="user:ann",
            comment_created_at=commented_at,
            completed_at=completed_at,
        )
        return self._envelope(payload, "/beacon/ingest", completed_at)

    def scheduled(
        self,
        *,
        change: ScheduleChange = ScheduleChange.scheduled,
        at: datetime = AT,
        campaign_id: str | None = None,
    ) -> Envelope:
        payload = PostScheduled(
            post_id=uuid.uuid4(),
            brand_id="brand-a",
            campaign_id=campaign_id,
            change=change,
            scheduled_at=at,
            targets=[PostTarget(target_id=uuid.uuid4(), account_id="acc", network=Network.sandbox)],
        )
        return self._envelope(payload, "/beacon/publisher", at)

    def published(
        self,
        *,
        network: Network = Network.sandbox,
        published_at: datetime = AT,
        post_id: uuid.UUID | None = None,
        external_id: str | None = None,
        campaign_id: str | None = None,
        account: str | None = "acc-1",
    ) -> Envelope:
        payload = PostPublished(
            post_id=post_id or uuid.uuid4(),
            target_id=uuid.uuid4(),
            brand_id="brand-a",
            campaign_id=campaign_id,
            account_id="acc",
            network=network,
            external_id=external_id or uuid.uuid4().hex,
            scheduled_at=published_at,
            published_at=published_at,
            external_account_id=account,
        )
        return self._envelope(payload, "/beacon/publisher", published_at)

    def failed(self, *, failed_at: datetime = AT, campaign_id: str | None = None) -> Envelope:
        payload = PostFailed(
            post_id=uuid.uuid4(),
            target_id=uuid.uuid4(),
            brand_id="brand-a",
            campaign_id=campaign_id,
            account_id="acc",
            network=Network.mastodon,
            reason="refused",
            kind="refused",
            attempts=1,
            scheduled_at=failed_at,
            failed_at=failed_at,
        )
        return self._envelope(payload, "/beacon/publisher", failed_at)

    def observed(
        self,
        *,
        post: str,
        observed_at: datetime = AT,
        impressions: int | None = None,
        reach: int | None = None,
        owner: str = "own",
        network: Network = Network.sandbox,
    ) -> Envelope:
        payload = PostMetricsObserved(
            brand_id="brand-a",
            network=network,
            account_external_id="acc-1",
            owner=owner,
            post_external_id=post,
            post_created_at=observed_at,
            impressions=impressions,
            reach=reach,
            observed_at=observed_at,
        )
        return self._envelope(payload, "/beacon/ingest", observed_at)

    def brand_configured(
        self, *, timezone: str, brand_id: str = "brand-a", configured_at: datetime = AT
    ) -> Envelope:
        payload = BrandConfigured(
            brand_id=brand_id,
            timezone=timezone,
            approval_required=False,
            configured_at=configured_at,
        )
        return self._envelope(payload, "/beacon/publisher", configured_at)

    def workspace_brand_configured(
        self, *, timezone: str, brand_id: str = "brand-a", configured_at: datetime = AT
    ) -> Envelope:
        payload = WorkspaceBrandConfigured(
            brand_id=brand_id,
            name=brand_id,
            timezone=timezone,
            languages=["en"],
            approval_required=False,
            self_approval_allowed=False,
            pause_on_alert=False,
            configured_at=configured_at,
        )
        return self._envelope(payload, "/beacon/workspace", configured_at)


@pytest.fixture
def events(unique: Callable[[str], str]) -> Events:
    """Envelope builders for a fresh tenant."""
    return Events(unique("tenant"))


RowKey = tuple[str, str, str, datetime, str]  # grain, dimension, key, bucket start, metric


async def read_rollups(
    session: AsyncSession, tenant_id: str, *, brand_id: str | None = None, **where: str
) -> dict[RowKey, int]:
    """The tenant's rollup rows, optionally of one brand and one grain, dimension or metric."""
    query = select(
        rollup.c.grain,
        rollup.c.dimension,
        rollup.c.dimension_key,
        rollup.c.bucket_start,
        rollup.c.metric,
        rollup.c.value,
    ).where(rollup.c.tenant_id == tenant_id)
    if brand_id is not None:
        query = query.where(rollup.c.brand_id == brand_id)
    for column, value in where.items():
        query = query.where(rollup.c[column] == value)
    rows = await session.execute(query)
    return {
        (r.grain, r.dimension, r.dimension_key, r.bucket_start, r.metric): r.value for r in rows
    }


async def handle(session: AsyncSession, envelopes: Sequence[Envelope]) -> None:
    """Aggregate the envelopes the way the runner does: one call for the whole batch."""
    await aggregate(session, envelopes)


@pytest.fixture
def rollups() -> Callable[..., Awaitable[dict[RowKey, int]]]:
    """`await rollups(session, tenant, dimension="post", grain="day")`: rollup rows by key."""
    return read_rollups


@pytest.fixture
def consume() -> Callable[[AsyncSession, Sequence[Envelope]], Awaitable[None]]:
    """`await consume(session, envelopes)`: the aggregating handler, one call per batch."""
    return handle


@pytest.fixture
async def sessionmaker(engine: AsyncEngine) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """Sessions whose transactions are savepoints of one outer transaction rolled back at the
    end: for jobs that open a transaction of their own per unit of work."""
    async with engine.connect() as conn:
        outer = await conn.begin()
        yield async_sessionmaker(
            bind=conn, join_transaction_mode="create_savepoint", expire_on_commit=False
        )
        await outer.rollback()


@pytest.fixture
async def session(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> AsyncIterator[AsyncSession]:
    """A session of `sessionmaker`, to set up and read what a job sees."""
    async with sessionmaker() as session:
        yield session


class DeadLetters:
    """Stands for a runner's producer: keeps what it dead-letters as (topic, value, headers)."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, bytes, dict[str, bytes]]] = []

    async def send_and_wait(self, topic: str, *, value: bytes, key: Any, headers: Any) -> None:
        self.sent.append((topic, value, dict(headers)))


@pytest.fixture
def dead_letters() -> DeadLetters:
    """What the runners of `runner_for` dead-letter."""
    return DeadLetters()


@pytest.fixture
def runner_for(
    db_session: AsyncSession, settings_for: Callable[..., Any], dead_letters: DeadLetters
) -> Callable[[Consumer], ConsumerRunner]:
    """`runner_for(consumer)`: its runner on the test's connection (the runner's commits become
    savepoint releases), dead-lettering into `dead_letters`."""

    def build(consumer: Consumer) -> ConsumerRunner:
        sessions = async_sessionmaker(
            bind=db_session.bind, join_transaction_mode="create_savepoint", expire_on_commit=False
        )
        return ConsumerRunner(
            consumer,
            settings=settings_for(Settings),
            sessionmaker=sessions,
            inbox=inbox,
            producer=dead_letters,  # type: ignore[arg-type]
        )

    return build


def _consumer_records(
    topic: str, values: Sequence[Envelope | bytes], first_offset: int = 0
) -> list[ConsumerRecord]:
    """The envelopes (or raw values) as a fetch of the topic's partition 0 hands them over."""
    return [
        ConsumerRecord(
            topic=topic,
            partition=0,
            offset=first_offset + n,
            timestamp=0,
            timestamp_type=0,
            key=b"k",
            value=value if isinstance(value, bytes) else encode(value),
            checksum=None,
            serialized_key_size=1,
            serialized_value_size=0,
            headers=[],
        )
        for n, value in enumerate(values)
    ]


@pytest.fixture
def records() -> Callable[..., list[ConsumerRecord]]:
    """`records(topic, envelopes, first_offset=0)`: see `_consumer_records`."""
    return _consumer_records
