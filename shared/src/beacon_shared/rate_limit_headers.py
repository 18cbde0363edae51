"""A network's rate-limit headers: the calls left in a window, and when it resets.

Each network names the pair and writes the reset its own way; `beacon_shared.networks` defines
them once, for the pollers and post readers of ingest and the publisher's connectors alike.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum


class ResetFormat(StrEnum):
    """How a network writes when a window resets."""

    epoch_seconds = "epoch_seconds"
    iso8601 = "iso8601"

    def parse(self, value: str) -> datetime | None:
        """The reset time `value` says; None when it is not in this format."""
        if self is ResetFormat.iso8601:
            try:
                parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
            except ValueError:
                return None
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
        try:
            return datetime.fromtimestamp(float(value), UTC)
        except (ValueError, OverflowError):
            return None


@dataclass(frozen=True)
class Window:
    """One rate-limit window: calls left in it, and when it resets."""

    remaining: int
    reset_at: datetime


@dataclass(frozen=True)
class LimitHeaders:
    """The pair of answer headers that describe one window: calls left, and its reset."""

    remaining: str
    reset: str
    reset_format: ResetFormat

    def reset_of(self, headers: Mapping[str, str]) -> datetime | None:
        """When the window resets, if the answer says so readably."""
        value = headers.get(self.reset)
        return self.reset_format.parse(value) if value else None

    def window(self, headers: Mapping[str, str]) -> Window | None:
        """The window as the answer describes it; None without both headers readable."""
        remaining = headers.get(self.remaining)
        reset_at = self.reset_of(headers)
        if remaining is None or reset_at is None:
            return None
        try:
            return Window(int(float(remaining)), reset_at)
        except (ValueError, OverflowError):
            return None
