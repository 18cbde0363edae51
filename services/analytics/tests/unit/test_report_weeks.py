"""Weekly schedules in local time: the next run keeps its wall time across DST changes."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from analytics.reports.weeks import Weekday, next_run, previous_week

PARIS = ZoneInfo("Europe/Paris")
NEW_YORK = ZoneInfo("America/New_York")


def paris(*args: int) -> datetime:
    return datetime(*args, tzinfo=PARIS)


class TestNextRun:
    def test_later_the_same_day_when_the_hour_is_still_ahead(self):
        after = paris(2026, 11, 23, 7, 59)  # a Monday
        assert next_run(after, weekday=1, hour=8, zone=PARIS) == paris(2026, 11, 23, 8)

    def test_a_week_later_once_the_hour_has_come(self):
        after = paris(2026, 11, 23, 8)
        assert next_run(after, weekday=1, hour=8, zone=PARIS) == paris(2026, 11, 30, 8)

    def test_the_next_such_weekday(self):
        after = paris(2026, 11, 25, 12)  # a Wednesday
        assert next_run(after, weekday=5, hour=17, zone=PARIS) == paris(2026, 11, 27, 17)

    def test_the_local_hour_stays_when_summer_time_ends(self):
        before = paris(2026, 10, 19, 8)  # 06:00 UTC, summer time
        following = next_run(before, weekday=1, hour=8, zone=PARIS)
        assert following.astimezone(PARIS).replace(tzinfo=None) == datetime(2026, 10, 26, 8)
        assert following == datetime(2026, 10, 26, 7, tzinfo=UTC)
        assert (following - before).total_seconds() == 169 * 3600

    def test_the_local_hour_stays_when_summer_time_starts(self):
        before = datetime(2026, 3, 6, 14, tzinfo=NEW_YORK)  # a Friday
        following = next_run(before, weekday=5, hour=9, zone=NEW_YORK)
        assert following == datetime(2026, 3, 13, 13, tzinfo=UTC)  # 09:00 EDT

    def test_an_hour_the_clocks_skip_runs_when_they_jump(self):
        # Sunday 29 March 2026, Paris goes from 02:00 to 03:00.
        after = paris(2026, 3, 28, 12)
        assert next_run(after, weekday=7, hour=2, zone=PARIS) == datetime(
            2026, 3, 29, 1, tzinfo=UTC
        )

    def test_an_hour_the_clocks_repeat_runs_once_at_its_first_occurrence(self):
        after = paris(2026, 10, 24, 12)
        first = next_run(after, weekday=7, hour=2, zone=PARIS)
        assert first == datetime(2026, 10, 25, 0, tzinfo=UTC)  # 02:00 CEST
        assert next_run(first, weekday=7, hour=2, zone=PARIS) == paris(2026, 11, 1, 2)

    def test_utc_without_a_zone(self):
        after = datetime(2026, 11, 23, 8, tzinfo=UTC)
        assert next_run(after, weekday=1, hour=8, zone=None) == datetime(
            2026, 11, 30, 8, tzinfo=UTC
        )


class TestPreviousWeek:
    @pytest.mark.parametrize(
        "at", [paris(2026, 11, 23, 0), paris(2026, 11, 23, 8), paris(2026, 11, 29, 23, 59)]
    )
    def test_the_full_local_week_before_the_one_of_the_run(self, at):
        assert previous_week(at, PARIS) == (paris(2026, 11, 16), paris(2026, 11, 23))

    def test_a_week_across_the_end_of_summer_time_has_169_hours(self):
        start, end = previous_week(paris(2026, 11, 2, 8), PARIS)
        assert (start, end) == (paris(2026, 10, 26), paris(2026, 11, 2))
        start, end = previous_week(paris(2026, 10, 26, 8), PARIS)
        assert (end - start).total_seconds() == 169 * 3600


class TestWeekday:
    def test_iso_numbers_round_trip(self):
        assert [d.iso for d in Weekday] == list(range(1, 8))
        assert Weekday.of_iso(7) is Weekday.sunday
