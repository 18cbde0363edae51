"""IANA time zones named in requests: the zone, or one problem (422 `invalid_timezone`).

Whoever reads a wall-clock time in a zone (the publisher's calendar, the inbox's business hours)
reads it with `fold=0` (PEP 495): a time a spring-forward change skips lands the length of the
gap later, one a fall-back change repeats is its first occurrence.
"""

from __future__ import annotations

from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from beacon_shared.errors import InvalidInput

TIMEZONE_POINTER = "/timezone"


class InvalidTimeZone(InvalidInput):
    code, title = "invalid_timezone", "Unknown time zone"

    def __init__(self, tz: str) -> None:
        super().__init__(
            f"{tz!r} is not an IANA time zone; use a name such as 'Europe/Paris'.",
            errors=[
                {
                    "pointer": TIMEZONE_POINTER,
                    "location": "body",
                    "type": self.code,
                    "message": "must be an IANA time zone name",
                }
            ],
        )


@lru_cache(maxsize=256)
def zone(tz: str) -> ZoneInfo:
    """The IANA zone named `tz`, or `InvalidTimeZone`."""
    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        # ValueError/OSError: malformed keys such as '../etc' or '' never reach the tz database.
        raise InvalidTimeZone(tz) from None
