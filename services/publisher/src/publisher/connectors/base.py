"""The connector protocol: what publishing to a network takes, returns and can fail with.

Failures are `beacon_shared.network_calls` errors, which the scheduler tells apart:
- `RetryLater`: nothing was published (refused before acting, rate limited, 5xx that did not
  act): the target is retried no earlier than `after`;
- `OutcomeUnknown`: the request went out and no usable answer came back: the target becomes
  `unconfirmed` and is reconciled against the account's recent posts before anything is resent;
- `CredentialsRefused`: the token expired or was revoked: the target fails and the account is
  marked `needs_reauth`;
- `Refused` (and anything else): the network said no for good: the target fails with the reason.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import ClassVar, Protocol
from uuid import UUID

from beacon_shared.contracts.common import Network


@dataclass(frozen=True)
class Account:
    """The connected account a post goes out as."""

    id: UUID
    tenant_id: str
    network: Network
    # The network's own id: Page id, Instagram user id, X user id, Mastodon account id, Bluesky
    # DID, LinkedIn person or organization URN.
    external_account_id: str
    handle: str | None
    # The instance (Mastodon) or PDS (Bluesky) the account lives on; None for the networks that
    # have one API host.
    instance_url: str | None
    # Decrypted; which names each network needs is in docs/publisher.md.
    credentials: Mapping[str, str] = field(repr=False)
    # The workspace registry's version of these credentials; None for the publisher's own.
    credentials_version: int | None = None


@dataclass(frozen=True)
class MediaFile:
    """A media file fetched (through the safe fetcher) from the URL the post names."""

    url: str
    content_type: str
    data: bytes = field(repr=False)
    alt_text: str | None = None


@dataclass(frozen=True)
class PublishContent:
    """What goes out on one account: its network's variant, links already carrying UTM tags."""

    text: str
    link: str | None = None
    media: Sequence[MediaFile] = ()
    # Posted as a reply (or comment) under the post once it is out.
    first_comment: str | None = None


@dataclass(frozen=True)
class PublishResult:
    """The network's id of the published post, and where it can be seen."""

    external_id: str
    url: str | None = None
    # Set when a first comment was asked for and went out; a first comment that fails does not
    # fail the post (the post is out), it is reported in `first_comment_error`.
    first_comment_id: str | None = None
    first_comment_error: str | None = None


@dataclass(frozen=True)
class RecentPost:
    """One of the account's own recent posts, as the network lists them (for reconciliation)."""

    external_id: str
    text: str
    created_at: datetime
    url: str | None = None


def newest_since(posts: Iterable[RecentPost], since: datetime) -> list[RecentPost]:
    """The posts created at or after `since`, newest first, as `recent_posts` returns them."""
    return sorted(
        (post for post in posts if post.created_at >= since),
        key=lambda post: post.created_at,
        reverse=True,
    )


def parse_timestamp(value: object) -> datetime | None:
    """An ISO 8601 time as a network writes it (`Z` or an offset; none is read as UTC); None for
    anything else."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


class Connector(Protocol):
    """Publishes to one network as a connected account."""

    network: ClassVar[Network]
    # How long the network dedupes a repeated publish under the same idempotency key (Mastodon's
    # Idempotency-Key: one hour); None when it does not, so an unknown outcome is never resent
    # before reconciliation says the post is not there.
    idempotency_window: ClassVar[timedelta | None]

    async def publish(
        self, account: Account, content: PublishContent, idempotency_key: str
    ) -> PublishResult:
        """Publish `content` as `account`, or raise a NetworkCallError saying why not."""
        ...

    async def recent_posts(self, account: Account, since: datetime) -> list[RecentPost]:
        """The account's own posts created at or after `since`, newest first."""
        ...
