"""The one period check of analytics: the same problem for instants and for days."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from analytics.periods import Bounds, InvalidPeriod, check_days, check_range

T0 = datetime(2026, 11, 24, 12, tzinfo=UTC)
DAY = timedelta(days=1)


def error_of(raised: pytest.ExceptionInfo[InvalidPeriod]) -> tuple[int, str, str, str]:
    problem = raised.value
    (entry,) = problem.errors
    return problem.status, problem.code, str(entry["pointer"]), str(entry["type"])


class TestRange:
    def test_a_period_of_one_instant_up_to_the_longest_passes(self):
        check_range(T0, T0 + timedelta(microseconds=1), max_span=DAY)
        check_range(T0, T0 + DAY, max_span=DAY)

    @pytest.mark.parametrize("end", [T0, T0 - DAY])
    def test_an_empty_or_reversed_period_is_refused_at_to(self, end):
        with pytest.raises(InvalidPeriod) as raised:
            check_range(T0, end, max_span=DAY)
        assert error_of(raised) == (422, "invalid_period", "/query/to", "period_empty")

    def test_a_period_too_long_says_how_long_it_may_be(self):
        with pytest.raises(InvalidPeriod) as raised:
            check_range(T0, T0 + 31 * DAY + timedelta(seconds=1), max_span=31 * DAY)
        assert error_of(raised) == (422, "invalid_period", "/query/to", "period_too_long")
        assert raised.value.detail == "The period may span at most 31 days."

    def test_a_body_s_bounds_point_into_the_body(self):
        bounds = Bounds("period_start", "period_end", "body")
        with pytest.raises(InvalidPeriod) as raised:
            check_range(T0, T0, max_span=DAY, bounds=bounds)
        assert error_of(raised)[2:] == ("/period_end", "period_empty")
        assert raised.value.errors[0]["location"] == "body"


class TestDays:
    def test_one_day_and_open_ends_pass(self):
        check_days(date(2026, 11, 24), date(2026, 11, 24), max_days=1)
        check_days(None, date(2026, 11, 24), max_days=1)
        check_days(date(2026, 11, 24), None)

    def test_a_last_day_before_the_first_is_refused(self):
        with pytest.raises(InvalidPeriod) as raised:
            check_days(date(2026, 11, 24), date(2026, 11, 23))
        assert error_of(raised) == (422, "invalid_period", "/query/to", "period_empty")

    def test_more_days_than_allowed_are_refused(self):
        check_days(date(2026, 1, 1), date(2026, 1, 31), max_days=31)
        with pytest.raises(InvalidPeriod) as raised:
            check_days(date(2026, 1, 1), date(2026, 2, 1), max_days=31)
        assert error_of(raised) == (422, "invalid_period", "/query/to", "period_too_long")
