"""Clock skew and lateness: where an event counts, judged against its receipt."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from analytics.rollups.lateness import FUTURE_TOLERANCE, LATENESS_HORIZON, Placement

RECEIVED = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)


def test_an_event_counts_at_its_own_time():
    placement = Placement()
    at = RECEIVED - timedelta(days=3)
    assert placement.place("t", "b", at, RECEIVED) == at
    assert placement.policy_facts == []


def test_a_time_slightly_ahead_of_the_receipt_is_kept():
    ahead = RECEIVED + FUTURE_TOLERANCE
    assert Placement().place("t", "b", ahead, RECEIVED) == ahead


def test_a_time_far_in_the_future_is_clamped_to_the_receipt_and_counted_as_such():
    placement = Placement()
    assert placement.place("t", "b", RECEIVED + timedelta(hours=2), RECEIVED) == RECEIVED
    ((tenant, brand, at, metric, amount, *_),) = placement.policy_facts
    assert (tenant, brand, at, metric, amount) == ("t", "b", RECEIVED, "events.clamped", 1)


def test_an_event_older_than_the_horizon_counts_only_as_late():
    placement = Placement()
    assert (
        placement.place("t", "b", RECEIVED - LATENESS_HORIZON - timedelta(seconds=1), RECEIVED)
        is None
    )
    ((_, _, at, metric, *_),) = placement.policy_facts
    assert (at, metric) == (RECEIVED, "events.late")


def test_a_naive_time_is_taken_as_utc():
    assert Placement().place("t", "b", datetime(2026, 11, 24, 9, 0), RECEIVED) == RECEIVED.replace(
        hour=9
    )
