"""Bad-buzz detection from consumed events: windows in Postgres, alerts through the outbox."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import pytest
from aiokafka import TopicPartition
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from analytics.alerts import service
from analytics.alerts.detector import CALM_WINDOWS, QUIET, WARMUP_WINDOWS, WINDOW, window_start
from analytics.alerts.exceptions import AlertAlreadyResolved
from analytics.alerts.handlers import BATCH_HANDLERS, alerts_consumer
from analytics.alerts.models import alert, alert_signal, alert_window
from analytics.db import outbox
from beacon_shared.auth import Principal
from beacon_shared.auth.brands import BrandNotAllowed
from beacon_shared.contracts.common import Author, Network
from beacon_shared.contracts.ingest import CommentReceived, InteractionKind
from beacon_shared.contracts.moderation import CommentModerated, ModerationAction, sentiment_label
from beacon_shared.events import Envelope, EventPayload, decode

pytestmark = pytest.mark.integration

T0 = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
BRAND = "brand-a"
# Ingest stores a comment a little after the network made it.
DELAY = timedelta(seconds=20)


class Buzz:
    """Envelopes of one tenant's comments and decisions, at chosen event times."""

    def __init__(self, tenant_id: str) -> None:
        self.tenant_id = tenant_id

    def _envelope(self, payload: EventPayload, source: str, sent: datetime) -> Envelope:
        built = Envelope.build(
            payload, tenant_id=self.tenant_id, subject=uuid.uuid4().hex, source=source
        )
        return built.model_copy(update={"time": sent})

    def comment(
        self,
        at: datetime,
        *,
        brand_id: str | None = BRAND,
        kind: InteractionKind = InteractionKind.comment,
        sent: datetime | None = None,
    ) -> Envelope:
        payload = CommentReceived(
            interaction_id=uuid.uuid4(),
            brand_id=brand_id,
            network=Network.custom,
            kind=kind,
            external_id=uuid.uuid4().hex,
            author=Author(network_id="u-1"),
            text="hello",
            created_at=at,
            received_at=at + DELAY,
        )
        return self._envelope(payload, "/beacon/ingest", sent or at + DELAY)

    def decision(
        self, at: datetime, *, sentiment: float = -0.6, brand_id: str = BRAND, **revision: object
    ) -> Envelope:
        payload = CommentModerated(
            decision_id=uuid.uuid4(),
            interaction_id=uuid.uuid4(),
            brand_id=brand_id,
            network=Network.custom,
            external_id=uuid.uuid4().hex,
            action=ModerationAction.allow,
            decided_by="rule:default.allow",
            scores={"toxicity": 0.1, "spam": 0.0, "sentiment": sentiment},
            sentiment=sentiment_label(sentiment),
            decided_at=at,
            **revision,  # type: ignore[arg-type]
        )
        return self._envelope(payload, "/beacon/moderation", at)

    def comments_per_window(
        self, counts: Sequence[int], *, first: datetime = T0, **options: object
    ) -> list[list[Envelope]]:
        """One batch per window, `counts[i]` comments spread over window i."""
        return [
            [
                self.comment(first + i * WINDOW + (n + 1) * WINDOW / (count + 1), **options)  # type: ignore[arg-type]
                for n in range(count)
            ]
            for i, count in enumerate(counts)
        ]


@pytest.fixture
def buzz(unique) -> Buzz:
    return Buzz(unique("tenant"))


async def handle(session: AsyncSession, envelopes: Sequence[Envelope]) -> None:
    """Call the batch handler of each type the way the runner does: one call per type."""
    by_type: dict[str, list[Envelope]] = {}
    for envelope in envelopes:
        by_type.setdefault(envelope.type, []).append(envelope)
    for event_type, batch in by_type.items():
        await BATCH_HANDLERS[event_type](session, batch)


async def feed(session: AsyncSession, batches: Sequence[Sequence[Envelope]]) -> None:
    for batch in batches:
        await handle(session, batch)


async def alerts_of(session: AsyncSession, tenant_id: str) -> list[dict[str, object]]:
    rows = await session.execute(
        select(alert).where(alert.c.tenant_id == tenant_id).order_by(alert.c.window_start)
    )
    return [dict(row._mapping) for row in rows]


async def staged(session: AsyncSession, tenant_id: str) -> list[Envelope]:
    rows = await session.execute(select(outbox.c.value).order_by(outbox.c.id))
    return [env for env in (decode(value) for (value,) in rows) if env.tenantid == tenant_id]


def a_spike(
    buzz: Buzz, *, spike: Sequence[int] = (40,), after: int = 0, first: datetime = T0
) -> list[list[Envelope]]:
    """A warm baseline of 3 comments a window, the spike's windows, then `after` calm ones and
    one comment that closes the last of them."""
    counts = [3] * WARMUP_WINDOWS + list(spike) + [3] * after
    batches = buzz.comments_per_window(counts, first=first)
    closing = first + len(counts) * WINDOW + timedelta(minutes=2, seconds=30)
    return [*batches, [buzz.comment(closing)]]


SPIKE_START = T0 + WARMUP_WINDOWS * WINDOW


class TestRaising:
    async def test_no_alert_during_warm_up(self, db_session, buzz):
        counts = [3] * (WARMUP_WINDOWS - 2) + [60, 60]
        await feed(db_session, buzz.comments_per_window([*counts, 3, 3]))

        assert await alerts_of(db_session, buzz.tenant_id) == []
        assert await staged(db_session, buzz.tenant_id) == []

    async def test_a_spike_raises_exactly_one_alert(self, db_session, buzz):
        await feed(db_session, a_spike(buzz, spike=(40, 45, 50)))

        (raised,) = await alerts_of(db_session, buzz.tenant_id)
        assert raised["kind"] == "mention_volume"
        assert raised["status"] == "open"
        assert raised["value"] == 40
        assert raised["baseline"] == pytest.approx(3.0)
        assert raised["window_start"] == SPIKE_START
        assert raised["window_end"] == SPIKE_START + WINDOW
        (event,) = await staged(db_session, buzz.tenant_id)
        assert event.type == "analytics.alert.raised"
        assert event.subject == BRAND
        assert event.data["alert_id"] == str(raised["id"])
        assert event.data["value"] == 40
        assert event.data["score"] == pytest.approx(raised["score"])

    async def test_a_low_volume_brand_does_not_alert_on_two_comments(self, db_session, buzz):
        quiet = [1 if i % 5 == 0 else 0 for i in range(WARMUP_WINDOWS * 2)]
        await feed(db_session, buzz.comments_per_window([*quiet, 2, 0, 1]))

        assert await alerts_of(db_session, buzz.tenant_id) == []

    async def test_a_spike_of_negative_comments_raises_a_sentiment_alert(self, db_session, buzz):
        batches = [
            [buzz.decision(T0 + i * WINDOW + timedelta(minutes=n + 1)) for n in range(2)]
            + [buzz.decision(T0 + i * WINDOW + timedelta(minutes=3), sentiment=0.7)]
            for i in range(WARMUP_WINDOWS)
        ]
        spike = [buzz.decision(SPIKE_START + timedelta(seconds=10 * n)) for n in range(25)]
        closing = [buzz.decision(SPIKE_START + WINDOW + timedelta(minutes=3))]
        await feed(db_session, [*batches, spike, closing])

        (raised,) = await alerts_of(db_session, buzz.tenant_id)
        assert raised["kind"] == "negative_sentiment"
        assert raised["value"] == 25
        assert raised["baseline"] == pytest.approx(2.0)

    async def test_positive_revised_and_brandless_events_are_not_counted(self, db_session, buzz):
        await handle(
            db_session,
            [
                buzz.decision(T0, sentiment=0.8),
                buzz.decision(T0, sentiment=-0.04),
                buzz.decision(T0, replaces_action=ModerationAction.flag, replaces_decided_at=T0),
                buzz.comment(T0, brand_id=None),
                buzz.comment(T0, kind=InteractionKind.direct_message),
                buzz.decision(T0, sentiment=-0.05),
                buzz.comment(T0, kind=InteractionKind.mention),
            ],
        )

        rows = await db_session.execute(
            select(alert_window.c.kind, alert_window.c.count).where(
                alert_window.c.tenant_id == buzz.tenant_id
            )
        )
        assert sorted(rows.all()) == [("mention_volume", 1), ("negative_sentiment", 1)]


class TestLateness:
    async def test_an_event_for_a_closed_window_counts_in_the_next_evaluation(
        self, db_session, buzz
    ):
        await handle(db_session, [buzz.comment(T0 + timedelta(minutes=1))])
        # Closes [T0, T0+5m): the newest event is more than two minutes past its end.
        await handle(db_session, [buzz.comment(T0 + timedelta(minutes=7, seconds=30))])
        late = buzz.comment(T0 + timedelta(minutes=2), sent=T0 + timedelta(minutes=9))
        await handle(db_session, [late])

        rows = await db_session.execute(
            select(alert_window.c.window_start, alert_window.c.count).where(
                alert_window.c.tenant_id == buzz.tenant_id
            )
        )
        assert rows.all() == [(T0 + WINDOW, 2)]
        signal = (
            await db_session.execute(
                select(alert_signal).where(alert_signal.c.tenant_id == buzz.tenant_id)
            )
        ).one()
        assert signal.open_start == T0 + WINDOW
        assert signal.windows == 1

    async def test_an_event_arriving_an_hour_late_is_not_counted(self, db_session, buzz):
        stale = buzz.comment(T0, sent=T0 + timedelta(hours=1, minutes=1))
        await handle(db_session, [stale])

        rows = await db_session.execute(
            select(alert_window).where(alert_window.c.tenant_id == buzz.tenant_id)
        )
        assert rows.all() == []

    async def test_a_clock_ahead_of_the_event_cannot_close_windows_early(self, db_session, buzz):
        await handle(db_session, [buzz.comment(T0 + timedelta(minutes=1))])
        ahead = buzz.comment(T0 + timedelta(hours=3), sent=T0 + timedelta(minutes=2))
        await handle(db_session, [ahead])

        signal = (
            await db_session.execute(
                select(alert_signal).where(alert_signal.c.tenant_id == buzz.tenant_id)
            )
        ).one()
        assert signal.watermark == T0 + timedelta(minutes=2)
        assert signal.windows == 0


class TestResolving:
    async def test_the_alert_resolves_after_calm_windows(self, db_session, buzz):
        await feed(db_session, a_spike(buzz, after=CALM_WINDOWS))

        (resolved,) = await alerts_of(db_session, buzz.tenant_id)
        assert resolved["status"] == "resolved"
        assert resolved["resolved_by"] == "baseline"
        events = await staged(db_session, buzz.tenant_id)
        assert [e.type for e in events] == ["analytics.alert.raised", "analytics.alert.resolved"]
        assert events[1].data["alert_id"] == str(resolved["id"])
        assert events[1].data["resolved_by"] == "baseline"

    async def test_one_calm_window_too_few_keeps_it_open(self, db_session, buzz):
        await feed(db_session, a_spike(buzz, after=CALM_WINDOWS - 1))

        (still_open,) = await alerts_of(db_session, buzz.tenant_id)
        assert still_open["status"] == "open"

    async def test_a_brand_gone_quiet_is_resolved_by_the_clock(self, db_session, buzz):
        wall = datetime.now(UTC)
        first = window_start(wall) - (WARMUP_WINDOWS + 1) * WINDOW - timedelta(minutes=5)
        await feed(db_session, a_spike(buzz, first=first))
        (raised,) = await alerts_of(db_session, buzz.tenant_id)

        # Not quiet long enough yet: nothing moves.
        assert await service.close_quiet(db_session, now=wall + QUIET - timedelta(minutes=1)) == 0
        changed = await service.close_quiet(db_session, now=wall + QUIET + 4 * WINDOW)

        assert changed == 1
        (resolved,) = await alerts_of(db_session, buzz.tenant_id)
        assert resolved["id"] == raised["id"]
        assert resolved["status"] == "resolved"

    async def test_a_backlog_being_caught_up_is_left_to_event_time(self, db_session, buzz):
        # Days-old events, handled just now: the consumer is behind, the brand is not quiet.
        await feed(db_session, a_spike(buzz))

        assert (
            await service.close_quiet(db_session, now=datetime.now(UTC) + timedelta(minutes=1)) == 0
        )
        (still_open,) = await alerts_of(db_session, buzz.tenant_id)
        assert still_open["status"] == "open"

    async def test_a_person_closes_it_and_it_is_not_raised_again_while_busy(self, db_session, buzz):
        await feed(db_session, a_spike(buzz))
        (raised,) = await alerts_of(db_session, buzz.tenant_id)

        ann = Principal(buzz.tenant_id, uuid.uuid4(), frozenset({"*"}), user_id=uuid.uuid4())
        closed = await service.resolve(db_session, principal=ann, alert_id=raised["id"])
        # Still busy afterwards: no new alert.
        busy = buzz.comments_per_window([50, 50], first=SPIKE_START + 2 * WINDOW)
        await feed(db_session, [*busy, [buzz.comment(SPIKE_START + 4 * WINDOW + 3 * QUIET / 5)]])

        assert closed.resolved_by == f"user:{ann.user_id}"
        (only,) = await alerts_of(db_session, buzz.tenant_id)
        assert only["status"] == "resolved"
        events = await staged(db_session, buzz.tenant_id)
        assert [e.type for e in events] == ["analytics.alert.raised", "analytics.alert.resolved"]
        assert events[1].data["resolved_by"] == f"user:{ann.user_id}"
        with pytest.raises(AlertAlreadyResolved):
            await service.resolve(db_session, principal=ann, alert_id=raised["id"])

    async def test_a_member_who_only_reads_the_brand_may_not_close_it(self, db_session, buzz):
        await feed(db_session, a_spike(buzz))
        (raised,) = await alerts_of(db_session, buzz.tenant_id)
        analyst = Principal(
            buzz.tenant_id,
            uuid.uuid4(),
            frozenset({"analytics:read", "analytics:write"}),
            user_id=uuid.uuid4(),
            brand_scopes={
                raised["brand_id"]: frozenset({"analytics:read"}),
                "other": frozenset({"analytics:read", "analytics:write"}),
            },
        )
        with pytest.raises(BrandNotAllowed):
            await service.resolve(db_session, principal=analyst, alert_id=raised["id"])
        (still_open,) = await alerts_of(db_session, buzz.tenant_id)
        assert still_open["status"] == "open"


def test_the_worker_runs_the_detector_and_relays_its_outbox():
    from analytics.worker import spec

    worker = spec()
    assert worker.outbox is outbox
    (alerts,) = [c for c in worker.consumers if c.group_id == "analytics.alerts"]
    assert set(alerts.topics) == {"comment.received", "comment.moderated"}


class TestRedelivery:
    """Through the consumer runner on the test transaction: its inbox drops redeliveries."""

    @pytest.fixture
    def runner(self, runner_for):
        return runner_for(alerts_consumer())

    async def test_redelivered_events_do_not_raise_twice(self, runner, records, db_session, buzz):
        tp = TopicPartition("comment.received", 0)
        stop = asyncio.Event()
        batches = a_spike(buzz, spike=(40, 45))
        offset = 0
        for batch in batches:
            await runner._process({tp: records("comment.received", batch, offset)}, stop)
            offset += len(batch)
        first = await alerts_of(db_session, buzz.tenant_id)
        signal_before = (
            await db_session.execute(
                select(alert_signal).where(alert_signal.c.tenant_id == buzz.tenant_id)
            )
        ).one()

        # The whole topic again, as after a lost commit or a replay from the start.
        everything = [env for batch in batches for env in batch]
        await runner._process({tp: records("comment.received", everything, offset)}, stop)

        assert len(first) == 1
        assert await alerts_of(db_session, buzz.tenant_id) == first
        assert len(await staged(db_session, buzz.tenant_id)) == 1
        signal_after = (
            await db_session.execute(
                select(alert_signal).where(alert_signal.c.tenant_id == buzz.tenant_id)
            )
        ).one()
        assert signal_after.windows == signal_before.windows
        assert signal_after.mean == signal_before.mean
