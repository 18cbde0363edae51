"""What the metrics readers return, whose account they read, and the failures they raise."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol
from uuid import UUID

import httpx

from beacon_shared.bounds import count_from_payload, timestamp_from_payload
from beacon_shared.contracts.common import Network
from ingest.pollers.base import PollError

# Long enough for any post, short enough to keep an event small.
MAX_TEXT = 5000


class Owner(StrEnum):
    """Whose posts an account publishes, from the brand's point of view."""

    own = "own"
    competitor = "competitor"


@dataclass(frozen=True)
class MetricsAccount:
    """An account whose posts' public metrics are polled."""

    id: UUID
    tenant_id: str
    brand_id: str | None
    owner: Owner
    network: Network
    external_account_id: str
    handle: str | None
    # A tracked Mastodon account's instance; own Mastodon accounts take theirs from credentials.
    instance_url: str | None


@dataclass(frozen=True)
class ObservedPost:
    """One post and its public totals when read; None where the network did not say."""

    external_id: str
    text: str
    created_at: datetime
    likes: int | None
    comments: int | None
    shares: int | None


@dataclass(frozen=True)
class Observation:
    """The account's recent posts, what could not be read, and a quota spent by this read."""

    posts: list[ObservedPost]
    handle: str | None = None
    malformed: int = 0
    rate_limited_until: datetime | None = None


class Gone(PollError):
    """The network does not serve this account (unknown, suspended, deactivated)."""


class MetricsReader(Protocol):
    """Reads one account's posts published since `since`, newest first."""

    network: Network

    async def read(
        self,
        client: httpx.AsyncClient,
        account: MetricsAccount,
        *,
        base_url: str,
        token: str | None,
        since: datetime,
    ) -> Observation:
        """The account's posts since `since` with their totals."""
        ...


def count(value: object, *, field: str = "count") -> int | None:
    """A metric as the network gave it: a non-negative integer, or None when absent; one
    beyond what storage holds (int8) is clamped, with a log line."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"not a count: {value!r}")
    return count_from_payload(value, field=field, source="post_metrics")


def when(value: object) -> datetime:
    """An RFC 3339 time with its offset."""
    if not isinstance(value, str):
        raise ValueError("not a timestamp")
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        raise ValueError("a timestamp without offset")
    if timestamp_from_payload(parsed, field="created_at", source="post_metrics") is None:
        raise ValueError("a timestamp out of range")
    return parsed
