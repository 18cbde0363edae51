"""Which counters each event increments, and in which minute."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from analytics.counters.metrics import (
    EXTRACTORS,
    FIRST_RESPONSE_SECONDS,
    FIRST_RESPONSES,
    KNOWN_METRICS,
    CounterKey,
    minute_bucket,
)
from analytics.counters.schemas import Bucket
from beacon_shared.contracts.common import Network
from beacon_shared.contracts.ingest import InteractionKind
from beacon_shared.contracts.moderation import ModerationAction
from beacon_shared.contracts.publisher import ScheduleChange
from beacon_shared.events import Envelope, MalformedEvent

MINUTE = datetime(2026, 11, 24, 10, 15, tzinfo=UTC)


def keys_of(envelope: Envelope) -> list[CounterKey]:
    return EXTRACTORS[envelope.type](envelope)


def metrics_of(envelope: Envelope) -> list[str]:
    return [key.metric for key in keys_of(envelope)]


class TestMinuteBucket:
    def test_truncates_to_the_utc_minute(self):
        at = datetime(2026, 11, 24, 12, 15, 59, 999_999, tzinfo=timezone(timedelta(hours=2)))
        assert minute_bucket(at) == MINUTE

    def test_takes_a_naive_time_as_utc(self):
        assert minute_bucket(datetime(2026, 11, 24, 10, 15, 30)) == MINUTE


class TestExtractors:
    def test_a_comment_counts_in_total_and_per_kind_at_its_creation_minute(self, events):
        envelope = events.comment(kind=InteractionKind.reply)
        assert keys_of(envelope) == [
            CounterKey(events.tenant_id, "brand-a", "comments.received", MINUTE),
            CounterKey(events.tenant_id, "brand-a", "comments.received.reply", MINUTE),
        ]

    def test_a_comment_without_brand_counts_under_the_empty_brand(self, events):
        assert {key.brand_id for key in keys_of(events.comment(brand_id=None))} == {""}

    def test_an_engagement_counts_per_kind(self, events):
        assert metrics_of(events.engagement(kind=InteractionKind.share)) == [
            "engagements.recorded.share"
        ]

    def test_a_decision_counts_per_action_at_its_decision_minute(self, events):
        decided = datetime(2026, 11, 23, 8, 0, 5, tzinfo=UTC)
        (key,) = keys_of(events.decision(action=ModerationAction.delete, decided_at=decided))
        assert key.metric == "comments.moderated.delete"
        assert key.bucket_start == datetime(2026, 11, 23, 8, 0, tzinfo=UTC)

    def test_a_new_schedule_counts_at_the_event_time(self, events):
        envelope = events.scheduled()
        (key,) = keys_of(envelope)
        assert key.metric == "posts.scheduled"
        assert key.bucket_start == minute_bucket(envelope.time)

    @pytest.mark.parametrize("change", [ScheduleChange.rescheduled, ScheduleChange.cancelled])
    def test_reschedules_and_cancellations_count_nothing(self, events, change):
        assert keys_of(events.scheduled(change=change)) == []

    def test_a_publication_counts_in_total_and_per_network(self, events):
        assert metrics_of(events.published(network=Network.mastodon)) == [
            "posts.published",
            "posts.published.mastodon",
        ]

    def test_data_not_matching_the_contract_is_malformed(self, events):
        broken = events.comment().model_copy(update={"data": {"kind": "comment"}})
        with pytest.raises(MalformedEvent):
            keys_of(broken)

    def test_every_metric_produced_is_known(self, events):
        envelopes = [
            *(events.comment(kind=kind) for kind in InteractionKind),
            *(events.engagement(kind=kind) for kind in InteractionKind),
            *(events.decision(action=action) for action in ModerationAction),
            *(events.published(network=network) for network in Network),
            events.scheduled(),
        ]
        # The care metrics come from the first-response handler (test_first_responses).
        care = {FIRST_RESPONSES, FIRST_RESPONSE_SECONDS}
        assert {m for e in envelopes for m in metrics_of(e)} == KNOWN_METRICS - care


class TestBucket:
    @pytest.mark.parametrize(
        ("bucket", "width"),
        [
            (Bucket.minute, timedelta(minutes=1)),
            (Bucket.hour, timedelta(hours=1)),
            (Bucket.day, timedelta(days=1)),
        ],
    )
    def test_widths(self, bucket, width):
        assert bucket.width == width
