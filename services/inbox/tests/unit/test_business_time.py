"""Business-time arithmetic: due times and elapsed opening time, weekends, holidays, lunch
breaks and the days clocks change (Europe/Paris: forward on 2026-03-29, back on 2026-10-25)."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from inbox.sla.business_time import BusinessHours, add, elapsed

PARIS = ZoneInfo("Europe/Paris")
HOUR = 3600.0
# Monday to Friday, 09:00 to 18:00.
OFFICE = {day: [(9 * 60, 18 * 60)] for day in range(5)}


def paris(*args: int) -> datetime:
    """A Paris wall time as an aware datetime (fold 0)."""
    return datetime(*args, tzinfo=PARIS)


def office(*holidays: date) -> BusinessHours:
    return BusinessHours.of("Europe/Paris", OFFICE, holidays)


class TestCalendarTime:
    def test_without_hours_a_target_is_added_as_time_passes(self):
        start = datetime(2026, 1, 3, 23, 0, tzinfo=UTC)  # a Saturday night
        assert add(None, start, 2 * HOUR) == start + timedelta(hours=2)

    def test_without_hours_elapsed_is_the_difference(self):
        start = datetime(2026, 1, 3, 23, 0, tzinfo=UTC)
        assert elapsed(None, start, start + timedelta(minutes=90)) == 5400.0


class TestDueTimes:
    def test_within_the_hours_of_one_day(self):
        # Monday 5 January 2026, 10:00 in Paris (UTC+1).
        assert add(office(), paris(2026, 1, 5, 10), HOUR) == paris(2026, 1, 5, 11)

    def test_what_is_left_at_closing_time_counts_from_the_next_opening(self):
        assert add(office(), paris(2026, 1, 5, 17, 30), HOUR) == paris(2026, 1, 6, 9, 30)

    def test_a_message_before_opening_counts_from_the_opening(self):
        assert add(office(), paris(2026, 1, 5, 7), HOUR) == paris(2026, 1, 5, 10)

    def test_the_weekend_is_skipped(self):
        # Friday 9 January, 17:00: one hour left that day, the other on Monday.
        assert add(office(), paris(2026, 1, 9, 17), 2 * HOUR) == paris(2026, 1, 12, 10)

    def test_a_message_on_sunday_is_due_on_monday(self):
        assert add(office(), paris(2026, 1, 11, 15), HOUR) == paris(2026, 1, 12, 10)

    def test_a_holiday_is_closed_all_day(self):
        # Thursday 1 January 2026 is a holiday; Wednesday evening's message is due on Friday.
        hours = office(date(2026, 1, 1))
        assert add(hours, paris(2025, 12, 31, 17), 2 * HOUR) == paris(2026, 1, 2, 10)

    def test_a_target_ending_at_closing_time_is_due_then(self):
        assert add(office(), paris(2026, 1, 5, 17), HOUR) == paris(2026, 1, 5, 18)

    def test_a_due_time_outside_the_hours_moves_to_the_next_opening(self):
        # Nothing to count, but the clock started on a Saturday: due at Monday's opening.
        assert add(office(), paris(2026, 1, 10, 12), 0) == paris(2026, 1, 12, 9)

    def test_a_lunch_break_is_not_counted(self):
        split = {day: [(14 * 60, 18 * 60), (9 * 60, 12 * 60)] for day in range(5)}
        hours = BusinessHours.of("Europe/Paris", split)
        assert add(hours, paris(2026, 1, 5, 11, 30), HOUR) == paris(2026, 1, 5, 14, 30)

    def test_a_long_target_spans_weeks(self):
        # 45 hours of a 45-hour week, from Monday's opening: Friday's closing.
        assert add(office(), paris(2026, 1, 5, 9), 45 * HOUR) == paris(2026, 1, 9, 18)

    def test_hours_that_never_open_are_refused(self):
        with pytest.raises(ValueError, match="never open"):
            add(BusinessHours.of("UTC", {}), datetime(2026, 1, 5, tzinfo=UTC), HOUR)


class TestDaylightSavingTime:
    def test_the_same_wall_hours_before_and_after_clocks_go_forward(self):
        # Friday 27 March 17:00 (UTC+1) plus two hours: Monday 30 March 10:00 (UTC+2).
        due = add(office(), paris(2026, 3, 27, 17), 2 * HOUR)
        assert due == paris(2026, 3, 30, 10)
        assert due == datetime(2026, 3, 30, 8, tzinfo=UTC)

    def test_the_same_wall_hours_before_and_after_clocks_go_back(self):
        due = add(office(), paris(2026, 10, 23, 17), 2 * HOUR)
        assert due == datetime(2026, 10, 26, 9, tzinfo=UTC)  # 10:00 at UTC+1

    def test_the_day_clocks_go_forward_has_23_hours(self):
        always = BusinessHours.of("Europe/Paris", {d: [(0, 24 * 60)] for d in range(7)})
        sunday, monday = paris(2026, 3, 29), paris(2026, 3, 30)
        assert elapsed(always, sunday, monday) == 23 * HOUR
        assert add(always, sunday, 23 * HOUR) == monday

    def test_the_day_clocks_go_back_has_25_hours(self):
        always = BusinessHours.of("Europe/Paris", {d: [(0, 24 * 60)] for d in range(7)})
        sunday, monday = paris(2026, 10, 25), paris(2026, 10, 26)
        assert elapsed(always, sunday, monday) == 25 * HOUR
        # 24 hours after Sunday's midnight (22:00 UTC on Saturday) is 23:00 that Sunday.
        assert add(always, sunday, 24 * HOUR) == datetime(2026, 10, 25, 22, tzinfo=UTC)

    def test_a_start_in_the_zone_is_counted_in_real_time(self):
        # Saturday 28 March 23:00 plus four hours of a zone-aware start: 04:00 CEST, not 03:00.
        always = BusinessHours.of("Europe/Paris", {d: [(0, 24 * 60)] for d in range(7)})
        assert add(always, paris(2026, 3, 28, 23), 4 * HOUR) == paris(2026, 3, 29, 4)

    def test_an_opening_in_the_skipped_hour_lands_the_gap_later(self):
        # Clocks jump from 02:00 to 03:00 on Sunday 29 March: 02:30 is read as 03:30 CEST.
        early = BusinessHours.of("Europe/Paris", {6: [(150, 300)]})
        assert add(early, paris(2026, 3, 29, 1), 0) == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)

    def test_an_opening_in_the_repeated_hour_is_its_first_occurrence(self):
        # 02:30 happens twice on Sunday 25 October; the first is at UTC+2.
        early = BusinessHours.of("Europe/Paris", {6: [(150, 300)]})
        assert add(early, paris(2026, 10, 25, 1), 0) == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)

    def test_hours_elapsed_over_the_change_count_real_time(self):
        night = BusinessHours.of("Europe/Paris", {6: [(60, 4 * 60)]})  # Sunday 01:00-04:00
        # 01:00-04:00 on the spring Sunday lasts two real hours, on the autumn one four.
        assert elapsed(night, paris(2026, 3, 29), paris(2026, 3, 30)) == 2 * HOUR
        assert elapsed(night, paris(2026, 10, 25), paris(2026, 10, 26)) == 4 * HOUR


class TestElapsed:
    def test_only_opening_time_counts(self):
        # Friday 16:00 to Monday 10:00: two hours Friday, one Monday.
        assert elapsed(office(), paris(2026, 1, 9, 16), paris(2026, 1, 12, 10)) == 3 * HOUR

    def test_both_ends_outside_the_hours(self):
        assert elapsed(office(), paris(2026, 1, 5, 20), paris(2026, 1, 6, 8)) == 0.0

    def test_a_holiday_counts_nothing(self):
        hours = office(date(2026, 1, 6))
        assert elapsed(hours, paris(2026, 1, 5, 17), paris(2026, 1, 7, 10)) == 2 * HOUR

    def test_an_end_before_the_start_is_nothing(self):
        assert elapsed(office(), paris(2026, 1, 5, 12), paris(2026, 1, 5, 11)) == 0.0

    def test_elapsed_undoes_add(self):
        rng = random.Random(17)
        hours = office(date(2026, 5, 1), date(2026, 5, 8))
        for _ in range(300):
            start = paris(2026, 1, 1) + timedelta(minutes=rng.randrange(365 * 24 * 60))
            seconds = rng.randrange(1, 200 * 3600)
            due = add(hours, start, seconds)
            assert elapsed(hours, start, due) == seconds
