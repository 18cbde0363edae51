"""Bounded types refuse what storage cannot hold; payload readers clamp or drop it with a reason."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Annotated

import pytest
from pydantic import BaseModel, Field, ValidationError
from structlog.testing import capture_logs

from beacon_shared.bounds import (
    INT32_MAX,
    INT64_MAX,
    Day,
    Int32,
    JsonBool,
    NonNegativeInt32,
    Timestamp,
    WallClock,
    count_from_payload,
    largest_amount,
    timestamp_from_payload,
)


class Query(BaseModel):
    since: Timestamp | None = None
    local: WallClock | None = None
    day: Day | None = None
    priority: Int32 | None = None
    enabled: JsonBool | None = None
    followers: NonNegativeInt32 | None = None
    amount: Annotated[Decimal, Field(le=largest_amount(max_digits=6, decimal_places=2))] | None = (
        None
    )


def error_types(**fields: object) -> list[str]:
    with pytest.raises(ValidationError) as raised:
        Query.model_validate(fields)
    return [error["type"] for error in raised.value.errors()]


class TestTimestamp:
    def test_an_instant_with_its_offset_is_kept_as_sent(self):
        now = datetime.now(timezone(timedelta(hours=2))).replace(microsecond=0)
        assert Query.model_validate({"since": now.isoformat()}).since == now

    @pytest.mark.parametrize(
        "text",
        [
            "0001-01-01T00:00:00+01:00",  # year 0 in UTC: Python cannot represent it
            "9999-12-31T23:59:59-01:00",  # year 10000 in UTC
            "1969-12-31T23:59:59Z",
            "3000-01-01T00:00:00Z",
        ],
    )
    def test_an_instant_storage_cannot_hold_is_refused(self, text):
        assert error_types(since=text) == ["timestamp_out_of_range"]

    @pytest.mark.parametrize("value", ["0", 0, "1700000000", "-5.0e-201", ".5", 1.5])
    def test_a_unix_time_is_not_a_date_time(self, value):
        assert error_types(since=value) == ["datetime_format"]

    def test_the_bounds_are_in_the_json_schema(self):
        schema = Query.model_json_schema()["properties"]["since"]["anyOf"][0]
        assert schema["format"] == "date-time"
        assert schema["formatMinimum"] == "1970-01-01T00:00:00Z"
        assert schema["formatExclusiveMaximum"] == "3000-01-01T00:00:00Z"


class TestWallClock:
    def test_a_wall_clock_time_is_kept_without_a_zone(self):
        soon = (datetime.now(UTC) + timedelta(days=1)).replace(tzinfo=None, microsecond=0)
        assert Query.model_validate({"local": soon.isoformat()}).local == soon

    @pytest.mark.parametrize("text", ["9999-12-31T23:00:00", "0001-01-01T01:00:00"])
    def test_a_wall_clock_time_no_zone_can_hold_is_refused(self, text):
        assert error_types(local=text) == ["timestamp_out_of_range"]


class TestDay:
    def test_a_date_is_kept(self):
        today = datetime.now(UTC).date()
        assert Query.model_validate({"day": today.isoformat()}).day == today

    @pytest.mark.parametrize("text", ["9999-12-31", "0001-01-01"])
    def test_a_date_storage_cannot_hold_is_refused(self, text):
        assert error_types(day=text) == ["date_out_of_range"]

    @pytest.mark.parametrize("value", ["20260101", "-5.004849168125287e-201", 0])
    def test_a_number_is_not_a_date(self, value):
        assert error_types(day=value) == ["date_format"]


class TestIntegers:
    def test_int32_stops_at_the_column_maximum(self):
        assert Query.model_validate({"priority": INT32_MAX}).priority == INT32_MAX
        assert error_types(priority=2**31) == ["less_than_equal"]

    def test_a_negative_count_is_refused(self):
        assert error_types(followers=-1) == ["greater_than_equal"]

    def test_the_bounds_are_in_the_json_schema(self):
        schema = Query.model_json_schema()["properties"]["priority"]["anyOf"][0]
        assert (schema["minimum"], schema["maximum"]) == (-(2**31), INT32_MAX)


@pytest.mark.parametrize("value", [0, 1, "yes", "true"])
def test_a_json_bool_is_true_or_false_only(value):
    assert error_types(enabled=value) == ["bool_type"]
    assert Query.model_validate({"enabled": False}).enabled is False


def test_the_largest_amount_fills_the_numeric_column():
    assert largest_amount(max_digits=6, decimal_places=2) == Decimal("9999.99")
    assert error_types(amount="10000") == ["less_than_equal"]


class TestCountFromPayload:
    def test_a_count_in_range_is_kept_without_a_word(self):
        with capture_logs() as logs:
            assert count_from_payload(1234, field="followers_count", source="x") == 1234
        assert logs == []

    def test_a_count_above_the_maximum_is_clamped_with_a_logged_reason(self):
        with capture_logs() as logs:
            clamped = count_from_payload(
                2**40, field="followers_count", source="x", maximum=INT32_MAX
            )
        assert clamped == INT32_MAX
        assert logs[0]["event"] == "payload.value_clamped"
        assert logs[0]["field"] == "followers_count"
        assert logs[0]["reason"] == "above_storage_maximum"

    def test_a_count_past_64_bits_is_clamped_to_int8(self):
        assert count_from_payload(2**70, field="likes", source="bluesky") == INT64_MAX

    @pytest.mark.parametrize("value", [-1, "12", 1.5, True])
    def test_what_is_not_a_count_is_dropped_with_a_logged_reason(self, value):
        with capture_logs() as logs:
            assert count_from_payload(value, field="likes", source="mastodon") is None
        assert logs[0]["event"] == "payload.value_dropped"
        assert logs[0]["reason"] == "not_a_count"


class TestTimestampFromPayload:
    def test_an_instant_in_range_is_kept(self):
        now = datetime.now(UTC)
        assert timestamp_from_payload(now, field="created_at", source="x") == now

    def test_an_instant_out_of_range_is_dropped_with_a_logged_reason(self):
        ancient = datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=1)))
        with capture_logs() as logs:
            assert timestamp_from_payload(ancient, field="created_at", source="x") is None
        assert logs[0]["reason"] == "timestamp_out_of_range"


def test_day_bounds_match_the_instants():
    assert Query.model_validate({"day": date(1970, 1, 1).isoformat()}).day == date(1970, 1, 1)
