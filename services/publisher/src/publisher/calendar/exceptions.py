"""Calendar errors: bad time zones (`beacon_shared.zones`) and recurrence rules, rendered as 422
problem documents."""

from __future__ import annotations

from beacon_shared.errors import InvalidInput

# Re-exported: the calendar's errors in one place.
from beacon_shared.zones import InvalidTimeZone as InvalidTimeZone

RRULE_POINTER = "/recurrence/rrule"


def _error(pointer: str, type_: str, message: str) -> dict[str, object]:
    return {"pointer": pointer, "location": "body", "type": type_, "message": message}


class InvalidRecurrence(InvalidInput):
    """Base of every refused recurrence rule; `code` tells which rule was broken."""

    code, title = "invalid_recurrence", "The recurrence rule is not valid"

    def __init__(self, detail: str, message: str) -> None:
        super().__init__(detail, errors=[_error(RRULE_POINTER, self.code, message)])


class InvalidRRule(InvalidRecurrence):
    code, title = "invalid_rrule", "The recurrence rule cannot be parsed"

    def __init__(self, rrule: str, reason: str) -> None:
        super().__init__(
            f"Cannot parse the RRULE {rrule!r}: {reason}.", f"not a valid RRULE: {reason}"
        )


class RRuleNeverEnds(InvalidRecurrence):
    code, title = "rrule_never_ends", "The recurrence never ends"

    def __init__(self, rrule: str) -> None:
        super().__init__(
            f"The RRULE {rrule!r} has neither COUNT nor UNTIL; a post series must end.",
            "needs COUNT or UNTIL",
        )


class RRuleNeverMatches(InvalidRecurrence):
    code, title = "rrule_never_matches", "The recurrence has no occurrence"

    def __init__(self, rrule: str, years: int) -> None:
        super().__init__(
            f"The RRULE {rrule!r} yields no occurrence within {years} years of its start "
            "(an impossible date such as February 30, or UNTIL before the start).",
            "has no occurrence",
        )


class RRuleTooMany(InvalidRecurrence):
    code, title = "rrule_too_many", "The recurrence has too many occurrences"

    def __init__(self, rrule: str, maximum: int) -> None:
        super().__init__(
            f"The RRULE {rrule!r} yields more than {maximum} occurrences; "
            "lower COUNT or bring UNTIL closer.",
            f"must yield at most {maximum} occurrences",
        )


class RRuleTooFrequent(InvalidRecurrence):
    code, title = "rrule_too_frequent", "The recurrence is too frequent"

    def __init__(self, rrule: str, reason: str) -> None:
        super().__init__(
            f"The RRULE {rrule!r} is too frequent: {reason}.", f"too frequent: {reason}"
        )


class RRuleTooLong(InvalidRecurrence):
    code, title = "rrule_too_long", "The recurrence runs too far ahead"

    def __init__(self, rrule: str, years: int) -> None:
        super().__init__(
            f"The RRULE {rrule!r} does not end within {years} years of its start; "
            "lower COUNT or bring UNTIL closer.",
            f"must end within {years} years of the start",
        )
