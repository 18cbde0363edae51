"""Pure calendar helpers: local wall-clock times across DST and recurring-post rules."""

from beacon_shared.zones import zone
from publisher.calendar.exceptions import (
    InvalidRecurrence,
    InvalidRRule,
    InvalidTimeZone,
    RRuleNeverEnds,
    RRuleNeverMatches,
    RRuleTooFrequent,
    RRuleTooLong,
    RRuleTooMany,
)
from publisher.calendar.local_time import is_ambiguous, is_nonexistent, to_utc
from publisher.calendar.recurrence import (
    MAX_OCCURRENCES,
    MAX_YEARS,
    MIN_SPACING,
    next_occurrence,
    occurrences,
    validate_rrule,
)

__all__ = [
    "MAX_OCCURRENCES",
    "MAX_YEARS",
    "MIN_SPACING",
    "InvalidRRule",
    "InvalidRecurrence",
    "InvalidTimeZone",
    "RRuleNeverEnds",
    "RRuleNeverMatches",
    "RRuleTooFrequent",
    "RRuleTooLong",
    "RRuleTooMany",
    "is_ambiguous",
    "is_nonexistent",
    "next_occurrence",
    "occurrences",
    "to_utc",
    "validate_rrule",
    "zone",
]
