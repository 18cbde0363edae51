"""Recording observed posts and comments into the listening aggregates, a batch at a time."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from analytics.brands import service as brands
from analytics.listening import repository
from analytics.listening.readings import (
    ZERO,
    AccountDayKey,
    PostKey,
    Reading,
    Totals,
    latest_readings,
)
from analytics.listening.schemas import TermSource
from analytics.listening.terms import terms_of
from analytics.rollups.lateness import LATENESS_HORIZON

TermKey = tuple[str, str, str, str, datetime]


@dataclass(frozen=True)
class Recorded:
    """What a batch of observations changed."""

    new_posts: int
    updated_posts: int
    stale: int


def hour_of(at: datetime) -> datetime:
    """The start of the UTC hour holding `at`."""
    return at.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


async def record_observations(session: AsyncSession, readings: Iterable[Reading]) -> Recorded:
    """Keep each post's latest totals and add what changed to its account-day.

    A post seen for the first time adds one post and its whole totals to the brand's day it was
    published on, and its text's terms to its publication hour; a later reading adds only the
    difference from the stored totals (negative when likes are withdrawn). A reading no newer
    than the stored one (a replay, a late duplicate) changes nothing.
    """
    latest = latest_readings(readings)
    if not latest:
        return Recorded(0, 0, 0)
    zones = await brands.zones(session, {(k.tenant_id, k.brand_id) for k in latest})
    deltas: dict[AccountDayKey, tuple[int, Totals]] = {}
    labels: dict[AccountDayKey, tuple[str | None, str | None]] = {}
    terms: Counter[TermKey] = Counter()

    def add(day_key: AccountDayKey, posts: int, change: Totals, reading: Reading) -> None:
        before_posts, before = deltas.get(day_key, (0, ZERO))
        deltas[day_key] = (
            before_posts + posts,
            Totals(*(a + b for a, b in zip(before, change, strict=True))),
        )
        labels[day_key] = (reading.competitor_id, reading.account_handle)

    publication_days = {
        key: _local_day(reading.post_created_at, zones.get((key.tenant_id, key.brand_id)))
        for key, reading in latest.items()
    }
    new_rows: list[tuple[Any, ...]] = [
        (
            *key,
            reading.account_external_id,
            reading.competitor_id,
            reading.post_created_at,
            publication_days[key],
            *reading.totals(),
            reading.observed_at,
        )
        for key, reading in latest.items()
    ]
    inserted = await repository.insert_new_posts(session, new_rows)
    for key in inserted:
        reading = latest[key]
        day_key = _day_key(key, reading.account_external_id, publication_days[key])
        add(day_key, 1, reading.totals(), reading)
        source = TermSource.own_post if key.owner == "own" else TermSource.competitor_post
        for term in terms_of(reading.text):
            terms[
                (key.tenant_id, key.brand_id, term, source.value, hour_of(reading.post_created_at))
            ] += 1

    seen = [key for key in latest if key not in inserted]
    stored = await repository.lock_posts(session, seen)
    changes: list[tuple[PostKey, Totals, datetime]] = []
    stale = 0
    for key in seen:
        row = stored.get(key)
        reading = latest[key]
        if row is None or reading.observed_at <= row.observed_at:
            stale += 1
            continue
        before = Totals(row.likes, row.comments, row.shares)
        after = reading.totals(before)
        changes.append((key, after, reading.observed_at))
        change = after - before
        if change != ZERO:
            add(_day_key(key, row.account_external_id, row.day), 0, change, reading)
    await repository.update_posts(session, changes)
    await repository.add_account_days(session, deltas, labels)
    await repository.add_terms(session, terms)
    return Recorded(len(inserted), len(changes), stale)


@dataclass(frozen=True)
class Comment:
    """What trends need of a received comment."""

    tenant_id: str
    brand_id: str
    text: str
    created_at: datetime
    received_at: datetime


async def record_comment_terms(session: AsyncSession, comments: Sequence[Comment]) -> int:
    """Count each comment's terms in its hour; returns the comments left out as too late."""
    terms: Counter[TermKey] = Counter()
    late = 0
    for comment in comments:
        # Its time is already ingest's one rule's (never far ahead of its receipt); analytics'
        # lateness policy leaves out what was written too long before it was received.
        at = comment.created_at
        if comment.received_at - at > LATENESS_HORIZON:
            late += 1
            continue
        for term in terms_of(comment.text):
            terms[
                (comment.tenant_id, comment.brand_id, term, TermSource.comment.value, hour_of(at))
            ] += 1
    await repository.add_terms(session, terms)
    return late


def _local_day(at: datetime, zone: ZoneInfo | None) -> date:
    return at.astimezone(zone or UTC).date()


def _day_key(key: PostKey, account_external_id: str, day: date) -> AccountDayKey:
    return AccountDayKey(
        key.tenant_id, key.brand_id, key.owner, key.network, account_external_id, day
    )
