"""Readings of post.metrics.observed: validation, clock skew, and the latest one per post."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from analytics.listening.readings import Totals, latest_readings, reading_of
from beacon_shared.contracts.common import Network
from beacon_shared.contracts.ingest import PostMetricsObserved
from beacon_shared.events import Envelope, MalformedEvent

AT = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


def observed(**overrides: object) -> Envelope:
    fields: dict[str, object] = {
        "brand_id": "b",
        "network": Network.bluesky,
        "account_external_id": "did:plc:a",
        "owner": "own",
        "post_external_id": "at://p",
        "post_created_at": AT - timedelta(hours=1),
        "likes": 1,
        "comments": 2,
        "shares": 3,
        "observed_at": AT,
    }
    fields.update(overrides)
    return Envelope.build(
        PostMetricsObserved.model_validate(fields), tenant_id="t", subject="p", source="/x"
    )


def test_a_reading_keys_the_post_by_tenant_brand_owner_network_and_id():
    reading = reading_of(observed(brand_id=None))
    assert tuple(reading.key) == ("t", "", "own", "bluesky", "at://p")
    assert reading.totals() == Totals(1, 2, 3)


@pytest.mark.parametrize("overrides", [{"owner": "partner"}, {"likes": -1}, {"shares": -4}])
def test_impossible_readings_are_malformed(overrides):
    with pytest.raises(MalformedEvent):
        reading_of(observed(**overrides))


def test_a_creation_after_the_observation_counts_at_the_observation():
    assert reading_of(observed(post_created_at=AT + timedelta(hours=2))).post_created_at == AT
    slightly = AT + timedelta(minutes=3)
    assert reading_of(observed(post_created_at=slightly)).post_created_at == slightly


def test_missing_metrics_keep_the_earlier_totals():
    reading = reading_of(observed(likes=None, comments=7, shares=None))
    assert reading.totals(Totals(4, 1, 9)) == Totals(4, 7, 9)


def test_the_latest_reading_of_each_post_wins():
    early = reading_of(observed(likes=1, observed_at=AT))
    late = reading_of(observed(likes=5, observed_at=AT + timedelta(hours=1)))
    other = reading_of(observed(post_external_id="at://q"))
    latest = latest_readings([late, early, other])
    assert latest[early.key] is late
    assert latest[other.key] is other


def test_totals_subtract_and_sum():
    change = Totals(5, 2, 1) - Totals(7, 2, 0)
    assert change == Totals(-2, 0, 1)
    assert change.engagement == -1
