"""Pre-aggregation of a batch of facts into rollup increments, in memory (no I/O)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from analytics.rollups.buckets import local_midnight
from analytics.rollups.facts import Fact, PostRef, ThreadKey

# (tenant, brand, grain, dimension, dimension key, bucket start, metric): the rollup's key.
RollupKey = tuple[str, str, str, str, str, datetime, str]
# (tenant, network, thread external id, brand, hour start, metric): held per hour only, the
# day being derived from the hour when the amount moves to its post.
PendingKey = tuple[str, str, str, str, datetime, str]

# Plain strings (the Grain and Dimension values): hashed and sent to the driver as they are.
_MINUTE, _HOUR, _DAY = "minute", "hour", "day"
_TOTAL, _NETWORK, _ACCOUNT, _POST, _CAMPAIGN, _AUTHOR = (
    "total",
    "network",
    "account",
    "post",
    "campaign",
    "author",
)


@dataclass
class Increments:
    """What a batch adds: to rollup rows, and to amounts held for posts not yet known."""

    rollup: dict[RollupKey, int] = field(default_factory=dict)
    pending: dict[PendingKey, int] = field(default_factory=dict)


def aggregate(
    facts: Iterable[Fact],
    *,
    zones: Mapping[tuple[str, str], ZoneInfo | None],
    posts: Mapping[ThreadKey, PostRef],
) -> Increments:
    """Sum the facts into one increment per rollup row (rows summing to zero are kept: a
    revision and its reversal in one batch still touch the row, harmlessly).

    Two passes: facts are first summed per (brand, minute, metric, dimension key), a handful of
    small dict updates per fact; only the distinct sums are then turned into the rows of their
    grains, so time zones and bucket starts are computed once per distinct minute.
    """
    per_minute: dict[tuple[str, str, int, str, str, str], int] = {}
    held: dict[tuple[str, str, int, str, str, str], int] = {}
    count = per_minute.get
    for fact in facts:
        at = fact.at
        if at.tzinfo is None:
            at = at.replace(tzinfo=UTC)
        tenant, brand, metric, amount = fact.tenant_id, fact.brand_id, fact.metric, fact.amount
        minute = int(at.timestamp() // 60)
        if not fact.attributed_only:
            key = (tenant, brand, minute, metric, _TOTAL, "")
            per_minute[key] = count(key, 0) + amount
        network = fact.network
        if network is not None:
            key = (tenant, brand, minute, metric, _NETWORK, network)
            per_minute[key] = count(key, 0) + amount
        if fact.account is not None:
            key = (tenant, brand, minute, metric, _ACCOUNT, fact.account)
            per_minute[key] = count(key, 0) + amount
        post, campaign = fact.post, fact.campaign
        if fact.thread is not None and post is None and network is not None:
            ref = posts.get((tenant, network, fact.thread))
            if ref is None:
                # Not (yet) a post published through Beacon: held until its post.published.
                key = (tenant, brand, minute, metric, network, fact.thread)
                held[key] = held.get(key, 0) + amount
            else:
                post = ref.post_id
                campaign = campaign if campaign is not None else ref.campaign_id
        if post is not None:
            key = (tenant, brand, minute, metric, _POST, post)
            per_minute[key] = count(key, 0) + amount
        if campaign is not None:
            key = (tenant, brand, minute, metric, _CAMPAIGN, campaign)
            per_minute[key] = count(key, 0) + amount
        if fact.author is not None:
            key = (tenant, brand, minute, metric, _AUTHOR, fact.author)
            per_minute[key] = count(key, 0) + amount
    return _rows(per_minute, held, zones)


def _rows(
    per_minute: Mapping[tuple[str, str, int, str, str, str], int],
    held: Mapping[tuple[str, str, int, str, str, str], int],
    zones: Mapping[tuple[str, str], ZoneInfo | None],
) -> Increments:
    out = Increments()
    rollup, pending = out.rollup, out.pending
    buckets: dict[tuple[ZoneInfo | None, int], tuple[datetime, datetime, datetime]] = {}

    def of(tenant: str, brand: str, minute: int) -> tuple[datetime, datetime, datetime]:
        zone = zones.get((tenant, brand))
        found = buckets.get((zone, minute))
        if found is None:
            start = datetime.fromtimestamp(minute * 60, UTC)
            found = (start, start.replace(minute=0), local_midnight(start, zone))
            buckets[(zone, minute)] = found
        return found

    for (tenant, brand, minute, metric, dimension, value), amount in per_minute.items():
        at_minute, hour, day = of(tenant, brand, minute)
        keys: tuple[RollupKey, ...]
        if dimension == _TOTAL:
            keys = (
                (tenant, brand, _MINUTE, _TOTAL, "", at_minute, metric),
                (tenant, brand, _HOUR, _TOTAL, "", hour, metric),
                (tenant, brand, _DAY, _TOTAL, "", day, metric),
            )
        elif dimension == _AUTHOR:
            keys = ((tenant, brand, _DAY, _AUTHOR, value, day, metric),)
        else:
            keys = (
                (tenant, brand, _HOUR, dimension, value, hour, metric),
                (tenant, brand, _DAY, dimension, value, day, metric),
            )
        for key in keys:
            rollup[key] = rollup.get(key, 0) + amount
    for (tenant, brand, minute, metric, network, thread), amount in held.items():
        hour = of(tenant, brand, minute)[1]
        pending_key = (tenant, network, thread, brand, hour, metric)
        pending[pending_key] = pending.get(pending_key, 0) + amount
    return out


def threads_of(facts: Iterable[Fact]) -> set[ThreadKey]:
    """The threads the facts name without a known post: those `record` must look up."""
    return {
        (f.tenant_id, f.network, f.thread)
        for f in facts
        if f.thread is not None and f.post is None and f.network is not None
    }
