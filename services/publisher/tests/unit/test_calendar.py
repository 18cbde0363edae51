"""Local times across DST and recurring-post rules (publisher.calendar), no I/O."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from publisher.calendar import (
    MAX_OCCURRENCES,
    InvalidRecurrence,
    InvalidRRule,
    InvalidTimeZone,
    is_ambiguous,
    is_nonexistent,
    next_occurrence,
    occurrences,
    to_utc,
    validate_rrule,
)

PARIS = "Europe/Paris"
NEW_YORK = "America/New_York"
# 2027 transitions: Paris 28 Mar 02:00 -> 03:00 and 31 Oct 03:00 -> 02:00;
# New York 14 Mar 02:00 -> 03:00 and 7 Nov 02:00 -> 01:00.
EVER_START = datetime(2000, 1, 1, tzinfo=UTC)
EVER_END = datetime(2100, 1, 1, tzinfo=UTC)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def expand(rrule: str, start: datetime, tz: str, **kwargs: object) -> list[datetime]:
    window: dict[str, object] = {"window_start": EVER_START, "window_end": EVER_END}
    window.update(kwargs)
    return occurrences(rrule, start_local=start, tz=tz, **window)  # type: ignore[arg-type]


def local(instants: list[datetime], tz: str) -> list[tuple[int, int, int]]:
    """(day, hour, minute) on the wall clock in tz."""
    return [
        (t.astimezone(ZoneInfo(tz)).day, t.astimezone(ZoneInfo(tz)).hour, t.minute)
        for t in instants
    ]


class TestToUtc:
    def test_winter_and_summer_times_use_the_offset_in_force(self) -> None:
        assert to_utc(datetime(2027, 1, 15, 9), PARIS) == utc(2027, 1, 15, 8)
        assert to_utc(datetime(2027, 7, 15, 9), PARIS) == utc(2027, 7, 15, 7)
        assert to_utc(datetime(2027, 7, 15, 9), NEW_YORK) == utc(2027, 7, 15, 13)

    def test_a_time_in_the_spring_gap_is_shifted_forward_by_the_gap(self) -> None:
        gap = datetime(2027, 3, 28, 2, 30)
        assert is_nonexistent(gap, PARIS)
        resolved = to_utc(gap, PARIS)
        assert resolved == utc(2027, 3, 28, 1, 30)
        assert resolved.astimezone(ZoneInfo(PARIS)).replace(tzinfo=None) == datetime(
            2027, 3, 28, 3, 30
        )

    def test_a_new_york_gap_time_is_shifted_forward(self) -> None:
        resolved = to_utc(datetime(2027, 3, 14, 2, 30), NEW_YORK)
        assert resolved == utc(2027, 3, 14, 7, 30)
        assert resolved.astimezone(ZoneInfo(NEW_YORK)).hour == 3

    def test_an_ambiguous_time_takes_the_first_occurrence(self) -> None:
        paris = datetime(2027, 10, 31, 2, 30)
        assert is_ambiguous(paris, PARIS)
        assert to_utc(paris, PARIS) == utc(2027, 10, 31, 0, 30)  # CEST, +02:00
        new_york = datetime(2027, 11, 7, 1, 30)
        assert is_ambiguous(new_york, NEW_YORK)
        assert to_utc(new_york, NEW_YORK) == utc(2027, 11, 7, 5, 30)  # EDT, -04:00

    def test_ordinary_times_are_neither_gap_nor_ambiguous(self) -> None:
        assert not is_nonexistent(datetime(2027, 3, 28, 9), PARIS)
        assert not is_ambiguous(datetime(2027, 10, 31, 9), PARIS)

    @pytest.mark.parametrize("tz", ["Mars/Olympus", "", "../etc/passwd", "europe/paris "])
    def test_an_unknown_zone_is_refused_with_a_problem(self, tz: str) -> None:
        with pytest.raises(InvalidTimeZone) as raised:
            to_utc(datetime(2027, 1, 1, 9), tz)
        assert raised.value.code == "invalid_timezone"
        assert raised.value.status == 422
        assert raised.value.errors[0]["pointer"] == "/timezone"

    def test_an_aware_local_time_is_a_programming_error(self) -> None:
        with pytest.raises(ValueError, match="naive"):
            to_utc(datetime(2027, 1, 1, 9, tzinfo=UTC), PARIS)


class TestOccurrencesAcrossDst:
    @pytest.mark.parametrize(
        ("tz", "start", "before_utc_hour", "after_utc_hour"),
        [
            (PARIS, datetime(2027, 3, 26, 9), 8, 7),  # spring forward
            (PARIS, datetime(2027, 10, 29, 9), 7, 8),  # fall back
            (NEW_YORK, datetime(2027, 3, 12, 9), 14, 13),
            (NEW_YORK, datetime(2027, 11, 5, 9), 13, 14),
        ],
    )
    def test_daily_nine_oclock_stays_nine_local_while_utc_moves(
        self, tz: str, start: datetime, before_utc_hour: int, after_utc_hour: int
    ) -> None:
        result = expand("FREQ=DAILY;COUNT=5", start, tz)
        assert [h for _, h, _ in local(result, tz)] == [9] * 5
        assert [t.hour for t in result] == [before_utc_hour] * 2 + [after_utc_hour] * 3
        assert all(t.tzinfo is UTC for t in result)

    def test_a_daily_time_in_the_gap_shifts_forward_on_that_day_only(self) -> None:
        result = expand("FREQ=DAILY;COUNT=3", datetime(2027, 3, 27, 2, 30), PARIS)
        assert local(result, PARIS) == [(27, 2, 30), (28, 3, 30), (29, 2, 30)]

    def test_a_daily_ambiguous_time_takes_the_first_occurrence(self) -> None:
        result = expand("FREQ=DAILY;COUNT=2", datetime(2027, 11, 6, 1, 30), NEW_YORK)
        assert result == [utc(2027, 11, 6, 5, 30), utc(2027, 11, 7, 5, 30)]

    def test_local_times_a_gap_folds_together_are_published_once(self) -> None:
        result = expand("FREQ=DAILY;BYHOUR=2,3;BYMINUTE=0;COUNT=4", datetime(2027, 3, 27, 2), PARIS)
        assert local(result, PARIS) == [(27, 2, 0), (27, 3, 0), (28, 3, 0)]


class TestOccurrences:
    def test_count_bounds_the_series(self) -> None:
        assert len(expand("FREQ=WEEKLY;COUNT=3", datetime(2027, 1, 4, 9), PARIS)) == 3

    def test_weekly_byday_picks_the_named_weekdays(self) -> None:
        result = expand("FREQ=WEEKLY;BYDAY=MO,WE,FR;COUNT=6", datetime(2027, 1, 4, 9), PARIS)
        assert [t.astimezone(ZoneInfo(PARIS)).strftime("%a %d") for t in result] == [
            "Mon 04",
            "Wed 06",
            "Fri 08",
            "Mon 11",
            "Wed 13",
            "Fri 15",
        ]

    def test_a_floating_until_is_local_and_inclusive(self) -> None:
        result = expand("FREQ=DAILY;UNTIL=20270103T090000", datetime(2027, 1, 1, 9), PARIS)
        assert result[-1] == utc(2027, 1, 3, 8)
        assert len(result) == 3

    def test_a_utc_until_is_an_instant(self) -> None:
        result = expand("FREQ=DAILY;UNTIL=20270103T075959Z", datetime(2027, 1, 1, 9), PARIS)
        assert result == [utc(2027, 1, 1, 8), utc(2027, 1, 2, 8)]

    def test_a_date_until_includes_that_whole_day(self) -> None:
        result = expand("FREQ=DAILY;UNTIL=20270103", datetime(2027, 1, 1, 21), NEW_YORK)
        assert local(result, NEW_YORK) == [(1, 21, 0), (2, 21, 0), (3, 21, 0)]

    def test_the_rrule_prefix_is_accepted(self) -> None:
        assert len(expand("RRULE:FREQ=DAILY;COUNT=2", datetime(2027, 1, 1, 9), PARIS)) == 2

    def test_the_window_clips_start_inclusive_and_end_exclusive(self) -> None:
        result = expand(
            "FREQ=DAILY;COUNT=10",
            datetime(2027, 1, 1, 9),
            PARIS,
            window_start=utc(2027, 1, 3, 8),
            window_end=utc(2027, 1, 6, 8),
        )
        assert result == [utc(2027, 1, 3, 8), utc(2027, 1, 4, 8), utc(2027, 1, 5, 8)]

    def test_a_window_in_another_zone_compares_instants(self) -> None:
        result = expand(
            "FREQ=DAILY;COUNT=10",
            datetime(2027, 1, 1, 9),
            PARIS,
            window_start=datetime(2027, 1, 9, 3, 1, tzinfo=ZoneInfo(NEW_YORK)),
            window_end=EVER_END,
        )
        assert result == [utc(2027, 1, 10, 8)]

    def test_limit_keeps_the_earliest(self) -> None:
        result = expand("FREQ=DAILY;COUNT=30", datetime(2027, 1, 1, 9), PARIS, limit=4)
        assert result == [utc(2027, 1, d, 8) for d in range(1, 5)]

    def test_a_limit_below_one_is_a_programming_error(self) -> None:
        with pytest.raises(ValueError, match="limit"):
            expand("FREQ=DAILY;COUNT=3", datetime(2027, 1, 1, 9), PARIS, limit=0)

    def test_a_naive_window_is_a_programming_error(self) -> None:
        with pytest.raises(ValueError, match="aware"):
            expand(
                "FREQ=DAILY;COUNT=3",
                datetime(2027, 1, 1, 9),
                PARIS,
                window_start=datetime(2027, 1, 1),
            )

    def test_the_series_is_validated_before_expanding(self) -> None:
        with pytest.raises(InvalidRecurrence) as raised:
            expand("FREQ=DAILY", datetime(2027, 1, 1, 9), PARIS)
        assert raised.value.code == "rrule_never_ends"

    def test_an_unknown_zone_is_refused(self) -> None:
        with pytest.raises(InvalidTimeZone):
            expand("FREQ=DAILY;COUNT=3", datetime(2027, 1, 1, 9), "Nowhere/Land")


class TestNextOccurrence:
    def test_returns_the_first_occurrence_strictly_after(self) -> None:
        rule, start = "FREQ=DAILY;COUNT=3", datetime(2027, 1, 1, 9)
        after = utc(2027, 1, 2, 8)
        assert next_occurrence(rule, start_local=start, tz=PARIS, after=after) == utc(2027, 1, 3, 8)

    def test_returns_none_once_the_series_is_over(self) -> None:
        rule, start = "FREQ=DAILY;COUNT=3", datetime(2027, 1, 1, 9)
        assert next_occurrence(rule, start_local=start, tz=PARIS, after=utc(2027, 1, 3, 8)) is None


START = datetime(2027, 1, 1, 9)


class TestValidateRRule:
    @pytest.mark.parametrize(
        "rule",
        [
            "FREQ=DAILY;COUNT=10",
            "FREQ=WEEKLY;BYDAY=TU,TH;UNTIL=20271231T235959Z",
            "FREQ=MONTHLY;BYMONTHDAY=-1;COUNT=12",
            "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29;COUNT=2",
            "FREQ=DAILY;BYHOUR=9,17;BYMINUTE=0;COUNT=20",
        ],
    )
    def test_a_finite_sensible_rule_passes(self, rule: str) -> None:
        validate_rrule(rule, start_local=START, tz=PARIS)

    @pytest.mark.parametrize(
        ("rule", "reason"),
        [
            ("FREQ=FORTNIGHTLY;COUNT=3", "invalid 'FREQ': FORTNIGHTLY"),
            ("FREQ=DAILY;COUNT=many", "invalid 'COUNT': MANY"),
            ("FREQ=DAILY;COLOR=RED;COUNT=3", "unknown parameter 'COLOR'"),
            ("FREQ=DAILY;COUNT=3;;", "expected NAME=VALUE"),
            ("FREQ=DAILY;COUNT=3;COUNT=4", "COUNT is given twice"),
            ("", "empty rule"),
            ("INTERVAL=2;COUNT=3", "FREQ is required"),
            ("DTSTART:20270101T090000\nRRULE:FREQ=DAILY;COUNT=3", "single RRULE value"),
            ("FREQ=DAILY;UNTIL=tomorrow", "invalid 'UNTIL'"),
            ("FREQ=YEARLY;BYEASTER=0;COUNT=3", "BYEASTER"),
        ],
    )
    def test_an_unparsable_rule_is_invalid_rrule_with_the_reason(
        self, rule: str, reason: str
    ) -> None:
        with pytest.raises(InvalidRRule) as raised:
            validate_rrule(rule, start_local=START, tz=PARIS)
        assert raised.value.code == "invalid_rrule"
        assert reason in raised.value.detail
        assert reason in str(raised.value.errors[0]["message"])

    def test_a_rule_without_count_or_until_never_ends(self) -> None:
        self.assert_refused("FREQ=WEEKLY;BYDAY=MO", "rrule_never_ends")

    @pytest.mark.parametrize(
        "rule",
        [
            "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30;COUNT=3",
            "FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30;COUNT=1",
            "FREQ=MONTHLY;BYMONTHDAY=31;BYMONTH=4,6,9,11;UNTIL=20291231",
            "FREQ=DAILY;UNTIL=20261231T090000",
            "FREQ=DAILY;COUNT=0",
        ],
    )
    def test_a_rule_with_no_occurrence_never_matches(self, rule: str) -> None:
        self.assert_refused(rule, "rrule_never_matches")

    @pytest.mark.parametrize(
        "rule", [f"FREQ=DAILY;COUNT={MAX_OCCURRENCES + 1}", "FREQ=DAILY;UNTIL=20300101"]
    )
    def test_a_rule_with_too_many_occurrences_is_refused(self, rule: str) -> None:
        self.assert_refused(rule, "rrule_too_many")

    def test_exactly_the_maximum_is_allowed(self) -> None:
        rule = f"FREQ=DAILY;COUNT={MAX_OCCURRENCES}"
        assert len(expand(rule, START, PARIS)) == MAX_OCCURRENCES

    @pytest.mark.parametrize(
        "rule",
        [
            "FREQ=HOURLY;COUNT=3",
            "FREQ=MINUTELY;COUNT=3",
            "FREQ=SECONDLY;COUNT=3",
            "FREQ=DAILY;BYHOUR=9;BYMINUTE=0,30;COUNT=4",
        ],
    )
    def test_a_sub_daily_or_sub_hourly_rule_is_too_frequent(self, rule: str) -> None:
        self.assert_refused(rule, "rrule_too_frequent")

    @pytest.mark.parametrize(
        "rule", ["FREQ=YEARLY;COUNT=12", "FREQ=MONTHLY;UNTIL=20400101T000000Z"]
    )
    def test_a_rule_running_past_ten_years_is_too_long(self, rule: str) -> None:
        self.assert_refused(rule, "rrule_too_long")

    def test_an_unknown_zone_is_refused_before_the_rule(self) -> None:
        with pytest.raises(InvalidTimeZone):
            validate_rrule("FREQ=DAILY", start_local=START, tz="Atlantis/Capital")

    def test_problems_point_at_the_rule(self) -> None:
        with pytest.raises(InvalidRecurrence) as raised:
            validate_rrule("FREQ=DAILY", start_local=START, tz=PARIS)
        problem = raised.value
        assert problem.status == 422
        assert problem.errors == [
            {
                "pointer": "/recurrence/rrule",
                "location": "body",
                "type": "rrule_never_ends",
                "message": "needs COUNT or UNTIL",
            }
        ]

    @staticmethod
    def assert_refused(rule: str, code: str) -> None:
        with pytest.raises(InvalidRecurrence) as raised:
            validate_rrule(rule, start_local=START, tz=PARIS)
        assert raised.value.code == code
        assert raised.value.errors[0]["type"] == code


def test_expansion_is_independent_of_the_400_year_shift() -> None:
    """Dates far from today expand the same way (the shift is whole Gregorian cycles)."""
    early = expand(
        "FREQ=MONTHLY;BYDAY=-1FR;COUNT=3",
        datetime(1899, 1, 1, 9),
        "UTC",
        window_start=datetime(1800, 1, 1, tzinfo=UTC),
    )
    assert [t.date().isoformat() for t in early] == ["1899-01-27", "1899-02-24", "1899-03-31"]
