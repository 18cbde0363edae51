"""Observed totals turned into increments: the latest reading of each post wins, and aggregates
receive only the difference from what they already hold, so nothing is counted twice."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import NamedTuple

from analytics.rollups.lateness import FUTURE_TOLERANCE
from beacon_shared.contracts.ingest import PostMetricsObserved
from beacon_shared.events import Envelope, MalformedEvent

OWNERS = frozenset({"own", "competitor"})


class PostKey(NamedTuple):
    """One post as one brand sees it."""

    tenant_id: str
    brand_id: str
    owner: str
    network: str
    post_external_id: str


class AccountDayKey(NamedTuple):
    """One account's posts published on one of the brand's days."""

    tenant_id: str
    brand_id: str
    owner: str
    network: str
    account_external_id: str
    day: date


class Totals(NamedTuple):
    """A post's likes, comments and shares."""

    likes: int
    comments: int
    shares: int

    def __sub__(self, other: Totals) -> Totals:
        return Totals(self.likes - other[0], self.comments - other[1], self.shares - other[2])

    @property
    def engagement(self) -> int:
        """Likes, comments and shares together."""
        return self.likes + self.comments + self.shares


ZERO = Totals(0, 0, 0)


@dataclass(frozen=True)
class Reading:
    """One observation of a post's totals; None where the network did not say."""

    key: PostKey
    account_external_id: str
    account_handle: str | None
    competitor_id: str | None
    text: str
    post_created_at: datetime
    likes: int | None
    comments: int | None
    shares: int | None
    observed_at: datetime

    def totals(self, before: Totals = ZERO) -> Totals:
        """The totals this reading says, keeping `before` where it says nothing."""
        return Totals(
            before.likes if self.likes is None else self.likes,
            before.comments if self.comments is None else self.comments,
            before.shares if self.shares is None else self.shares,
        )


def reading_of(envelope: Envelope) -> Reading:
    """An event's reading; an owner other than own or competitor is a MalformedEvent."""
    observed = envelope.payload(PostMetricsObserved)
    if observed.owner not in OWNERS:
        raise MalformedEvent(
            f"post.metrics.observed owner {observed.owner!r} is not own/competitor"
        )
    for name in ("likes", "comments", "shares"):
        value = getattr(observed, name)
        if value is not None and value < 0:
            raise MalformedEvent(f"post.metrics.observed {name} is negative")
    created = observed.post_created_at
    if created - observed.observed_at > FUTURE_TOLERANCE:
        created = observed.observed_at
    return Reading(
        key=PostKey(
            envelope.tenantid,
            observed.brand_id or "",
            observed.owner,
            observed.network.value,
            observed.post_external_id,
        ),
        account_external_id=observed.account_external_id,
        account_handle=observed.account_handle,
        competitor_id=observed.competitor_id,
        text=observed.text,
        post_created_at=created,
        likes=observed.likes,
        comments=observed.comments,
        shares=observed.shares,
        observed_at=observed.observed_at,
    )


def latest_readings(readings: Iterable[Reading]) -> dict[PostKey, Reading]:
    """The latest reading of each post; of two taken at the same time, the later in the batch."""
    latest: dict[PostKey, Reading] = {}
    for reading in readings:
        kept = latest.get(reading.key)
        if kept is None or reading.observed_at >= kept.observed_at:
            latest[reading.key] = reading
    return latest
