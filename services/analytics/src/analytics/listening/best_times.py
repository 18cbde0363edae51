"""Best time to post: an account's own posts' engagement by weekday x hour of publication.

Each post counts with its latest observed totals (likes + comments + shares), in the slot of its
publication in the brand's zone. Posts younger than min_age_hours are left out: they are still
gathering engagement. A slot's score is its mean shrunk toward the account's mean by
PRIOR_POSTS pseudo-posts, (sum + k * mean) / (n + k): a slot resting on one or two posts is
pulled toward the account's usual engagement, so a lucky post weighs less than a steady slot.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from analytics.brands import service as brands
from analytics.listening import repository
from analytics.listening.exceptions import InvalidAccountKey
from analytics.listening.schemas import BestTimes, Confidence, Slot
from beacon_shared.contracts.common import Network

PRIOR_POSTS = 3
FEW_POSTS = 3
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


@dataclass(frozen=True)
class AccountKey:
    """`<network>:<external_account_id>`, as in the URL."""

    network: Network
    external_account_id: str

    @classmethod
    def parse(cls, key: str) -> AccountKey:
        """Split on the first colon (Bluesky DIDs hold colons of their own)."""
        network, _, external_id = key.partition(":")
        try:
            parsed = Network(network)
        except ValueError:
            raise InvalidAccountKey(key) from None
        if not external_id:
            raise InvalidAccountKey(key)
        return cls(parsed, external_id)

    def __str__(self) -> str:
        return f"{self.network.value}:{self.external_account_id}"


def confidence_of(posts: int) -> tuple[Confidence, str]:
    """How far the slots can be trusted with this many posts, said for people."""
    if posts == 0:
        return Confidence.none, "No post of this account was observed in the window."
    if posts < 10:
        return (
            Confidence.low,
            f"Only {posts} posts: most slots hold one post or none, so treat the best slots "
            "as hints and keep testing other times.",
        )
    if posts < 30:
        return (
            Confidence.medium,
            f"{posts} posts: the ranking is indicative; slots marked few_posts rest on fewer "
            f"than {FEW_POSTS} posts.",
        )
    return (
        Confidence.high,
        f"{posts} posts; slots marked few_posts rest on fewer than {FEW_POSTS} posts.",
    )


async def best_times(
    session: AsyncSession,
    *,
    tenant_id: str,
    account: AccountKey,
    brand_id: str | None,
    now: datetime,
    days: int,
    min_age_hours: int,
    limit: int,
    visible: frozenset[str] | None = None,
) -> BestTimes:
    """The account's best publication slots over the `days` before `now`. Without `brand_id`,
    an account of a brand outside `visible` (None: every brand) is answered as an unknown one."""
    start = now - timedelta(days=days)
    end = now - timedelta(hours=min_age_hours)
    brand = brand_id
    if brand is None:
        brand = await repository.brand_of_account(
            session,
            tenant_id=tenant_id,
            network=account.network.value,
            account_external_id=account.external_account_id,
        )
        if visible is not None and brand not in visible:
            brand = None
    zone = await brands.zone_of(session, tenant_id, brand) if brand is not None else None
    zone_name = zone.key if zone is not None else "UTC"
    rows = (
        await repository.slot_stats(
            session,
            tenant_id=tenant_id,
            brand_id=brand,
            network=account.network.value,
            account_external_id=account.external_account_id,
            start=start,
            end=end,
            zone=zone_name,
        )
        if brand is not None
        else []
    )
    posts = sum(int(r.posts) for r in rows)
    total = sum(int(r.engagement) for r in rows)
    mean = total / posts if posts else None
    slots = [
        Slot(
            weekday=int(r.weekday),
            weekday_name=WEEKDAYS[int(r.weekday) - 1],
            hour=int(r.hour),
            posts=int(r.posts),
            mean_engagement=round(int(r.engagement) / int(r.posts), 3),
            median_engagement=float(r.median),
            score=round(
                (int(r.engagement) + PRIOR_POSTS * (mean or 0.0)) / (r.posts + PRIOR_POSTS), 3
            ),
            few_posts=int(r.posts) < FEW_POSTS,
        )
        for r in rows
    ]
    confidence, note = confidence_of(posts)
    if brand is not None and zone is None:
        note += " The brand has no time zone configured: slots are in UTC."
    return BestTimes(
        account=str(account),
        brand_id=brand,
        timezone=zone_name,
        window_start=start,
        window_end=end,
        posts=posts,
        mean_engagement=round(mean, 3) if mean is not None else None,
        confidence=confidence,
        note=note,
        best=sorted(slots, key=lambda s: (-s.score, -s.posts, s.weekday, s.hour))[:limit],
        slots=slots,
    )
