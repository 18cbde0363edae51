"""The connector protocol and the outcomes a publish can have."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol
from uuid import UUID

from beacon_shared.contracts.common import Network


@dataclass(frozen=True)
class PublishTarget:
    """The account a post goes to."""

    target_id: UUID
    tenant_id: str
    account_id: str
    network: Network


@dataclass(frozen=True)
class PublishContent:
    """What is published."""

    text: str
    link: str | None = None


@dataclass(frozen=True)
class PublishResult:
    """The network's id of the published post, and where it can be seen."""

    external_id: str
    url: str | None = None


class PublishError(Exception):
    """A publish that did not succeed; subclasses say whether retrying can help."""


class PermanentFailure(PublishError):
    """The network refused the post (content rejected, account revoked): retrying will not help."""


class UnknownOutcome(PublishError):
    """The post may or may not be out (timeout, connection lost): retry with the same key."""


class Connector(Protocol):
    """Publishes to one network.

    `idempotency_key` is stable across retries of one target, so a connector must make a repeat
    with the same key return the first result instead of publishing twice, using the network's
    own idempotency support where it has one.
    """

    network: Network

    async def publish(
        self, target: PublishTarget, content: PublishContent, idempotency_key: str
    ) -> PublishResult:
        """Publish `content` to `target`, or raise a PublishError."""
        ...
