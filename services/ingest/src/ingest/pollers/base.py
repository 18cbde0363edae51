"""What every network's poller returns, and the failures the runner reacts to."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Protocol

import httpx

from beacon_shared.contracts.common import Network
from ingest.interactions.interaction import Interaction


@dataclass(frozen=True)
class Fetched:
    """New interactions, where the next poll resumes, and what could not be read."""

    items: list[Interaction]
    cursor: str | None
    malformed: int = 0
    # Set when the network says the quota is spent: the account rests until then.
    rate_limited_until: datetime | None = None


class PollError(Exception):
    """A poll that stored nothing and must not move the cursor."""


@dataclass
class RateLimited(PollError):
    """The network refused for now (429); try again after `until`."""

    until: datetime = field(default_factory=lambda: datetime.now(UTC))


class Unauthorized(PollError):
    """The credentials no longer work: the account needs re-authorising."""


class Malformed(PollError):
    """The network answered something that is not the documented format."""


class Poller(Protocol):
    """Fetches one account's notifications after `cursor`."""

    network: Network

    async def fetch(
        self, client: httpx.AsyncClient, credentials: Mapping[str, str], cursor: str | None
    ) -> Fetched:
        """New notifications of the account the credentials belong to."""
        ...
