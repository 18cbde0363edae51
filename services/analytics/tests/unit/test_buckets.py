"""Time buckets: UTC minutes and hours, local days, and the plan of rows covering a range."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from analytics.rollups.buckets import Span, local_midnight, next_midnight, plan
from analytics.rollups.dimensions import Grain

PARIS = ZoneInfo("Europe/Paris")
KOLKATA = ZoneInfo("Asia/Kolkata")  # UTC+05:30
ALL = (Grain.minute, Grain.hour, Grain.day)
HOURS_AND_DAYS = (Grain.hour, Grain.day)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


class TestLocalMidnight:
    def test_utc_days_without_a_zone(self):
        assert local_midnight(utc(2026, 11, 24, 23, 59), None) == utc(2026, 11, 24)

    def test_a_paris_day_starts_at_23_utc_in_winter(self):
        # 00:30 in Paris on the 25th is 23:30 UTC on the 24th.
        assert local_midnight(utc(2026, 11, 24, 23, 30), PARIS) == utc(2026, 11, 24, 23)
        assert local_midnight(utc(2026, 11, 24, 22, 59), PARIS) == utc(2026, 11, 23, 23)

    def test_a_half_hour_zone_starts_its_day_off_the_utc_hour(self):
        assert local_midnight(utc(2026, 11, 24, 18, 45), KOLKATA) == utc(2026, 11, 24, 18, 30)

    def test_days_around_daylight_saving_last_23_and_25_hours(self):
        spring = local_midnight(utc(2026, 3, 29, 12), PARIS)
        autumn = local_midnight(utc(2026, 10, 25, 12), PARIS)
        assert next_midnight(spring, PARIS) - spring == timedelta(hours=23)
        assert next_midnight(autumn, PARIS) - autumn == timedelta(hours=25)


class TestPlan:
    def test_whole_days_come_from_day_rows_and_the_ends_from_hours_and_minutes(self):
        spans = plan(utc(2026, 11, 20, 9, 30), utc(2026, 11, 23, 14, 10), None, ALL)
        assert spans == [
            Span(Grain.minute, utc(2026, 11, 20, 9, 30), utc(2026, 11, 20, 10)),
            Span(Grain.hour, utc(2026, 11, 20, 10), utc(2026, 11, 21)),
            Span(Grain.day, utc(2026, 11, 21), utc(2026, 11, 23)),
            Span(Grain.hour, utc(2026, 11, 23), utc(2026, 11, 23, 14)),
            Span(Grain.minute, utc(2026, 11, 23, 14), utc(2026, 11, 23, 14, 10)),
        ]

    def test_the_spans_tile_the_range_without_gap_or_overlap(self):
        start, end = utc(2026, 11, 1, 7, 13), utc(2026, 11, 29, 2, 41)
        spans = plan(start, end, PARIS, ALL)
        assert spans[0].start == start
        assert spans[-1].end == end
        assert all(a.end == b.start for a, b in itertools.pairwise(spans))

    def test_days_follow_the_brand_s_midnight(self):
        spans = plan(utc(2026, 11, 20), utc(2026, 11, 23), PARIS, ALL)
        assert Span(Grain.day, utc(2026, 11, 20, 23), utc(2026, 11, 22, 23)) in spans

    def test_a_range_inside_one_hour_is_minutes_only(self):
        assert plan(utc(2026, 11, 24, 10, 5), utc(2026, 11, 24, 10, 50), None, ALL) == [
            Span(Grain.minute, utc(2026, 11, 24, 10, 5), utc(2026, 11, 24, 10, 50))
        ]

    def test_without_minute_rows_the_ends_are_floored_to_the_hour(self):
        assert plan(utc(2026, 11, 24, 10, 5), utc(2026, 11, 24, 12, 50), None, HOURS_AND_DAYS) == [
            Span(Grain.hour, utc(2026, 11, 24, 10), utc(2026, 11, 24, 12))
        ]

    def test_a_half_hour_zone_without_minutes_is_read_from_hours(self):
        spans = plan(utc(2026, 11, 20), utc(2026, 11, 25), KOLKATA, HOURS_AND_DAYS)
        assert spans == [Span(Grain.hour, utc(2026, 11, 20), utc(2026, 11, 25))]

    def test_a_half_hour_zone_with_minutes_still_uses_days(self):
        spans = plan(utc(2026, 11, 20), utc(2026, 11, 25), KOLKATA, ALL)
        assert Span(Grain.day, utc(2026, 11, 20, 18, 30), utc(2026, 11, 24, 18, 30)) in spans
        assert Span(Grain.minute, utc(2026, 11, 20, 18), utc(2026, 11, 20, 18, 30)) in spans

    def test_day_only_rows_count_whole_local_days(self):
        assert plan(utc(2026, 11, 20, 6), utc(2026, 11, 23, 6), None, (Grain.day,)) == [
            Span(Grain.day, utc(2026, 11, 20), utc(2026, 11, 23))
        ]

    def test_an_empty_range_has_no_span(self):
        assert plan(utc(2026, 11, 24, 10, 5), utc(2026, 11, 24, 10, 5, 30), None, ALL) == []
