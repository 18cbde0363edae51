"""Share of voice: a brand's engagement against its tracked competitors' over its days."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncSession

from analytics import periods
from analytics.brands import service as brands
from analytics.listening import repository
from analytics.listening.schemas import (
    AccountEngagement,
    BrandEngagement,
    CompetitorEngagement,
    PreviousShare,
    ShareOfVoice,
)

MAX_DAYS = 400


def _ratio(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _engagement(row: Row[Any]) -> int:
    return int(row.likes + row.comments + row.shares)


async def share_of_voice(
    session: AsyncSession, *, tenant_id: str, brand_id: str, first_day: date, last_day: date
) -> ShareOfVoice:
    """Engagement earned by the posts published on [first_day, last_day] (the brand's days):
    the brand's own accounts, each tracked competitor, and their shares of the total."""
    periods.check_days(first_day, last_day, max_days=MAX_DAYS)
    days = (last_day - first_day).days + 1
    rows = await repository.engagement_by_account(
        session, tenant_id=tenant_id, brand_id=brand_id, first_day=first_day, last_day=last_day
    )
    previous_last = first_day - timedelta(days=1)
    previous_first = first_day - timedelta(days=days)
    previous_rows = await repository.engagement_by_account(
        session,
        tenant_id=tenant_id,
        brand_id=brand_id,
        first_day=previous_first,
        last_day=previous_last,
    )
    zone = await brands.zone_of(session, tenant_id, brand_id)
    total = sum(_engagement(r) for r in rows)
    posts = sum(int(r.posts) for r in rows)
    own = [r for r in rows if r.owner == "own"]
    brand = BrandEngagement(
        **_sums(own, total, posts),
        accounts=[
            AccountEngagement(
                network=r.network,
                account_external_id=r.account_external_id,
                handle=r.account_handle,
                **_sums([r], total, posts),
            )
            for r in own
        ],
    )
    competitors = sorted(
        (
            CompetitorEngagement(
                network=r.network,
                account_external_id=r.account_external_id,
                handle=r.account_handle,
                competitor_id=r.competitor_id,
                **_sums([r], total, posts),
            )
            for r in rows
            if r.owner == "competitor"
        ),
        key=lambda c: (-c.engagement, -c.posts, c.network, c.account_external_id),
    )
    previous_total = sum(_engagement(r) for r in previous_rows)
    previous_posts = sum(int(r.posts) for r in previous_rows)
    previous_own = [r for r in previous_rows if r.owner == "own"]
    return ShareOfVoice(
        brand_id=brand_id,
        from_=first_day,
        to=last_day,
        timezone=zone.key if zone is not None else "UTC",
        total_engagement=total,
        total_posts=posts,
        brand=brand,
        competitors=competitors,
        previous=PreviousShare(
            from_=previous_first,
            to=previous_last,
            share=_ratio(sum(_engagement(r) for r in previous_own), previous_total),
            post_share=_ratio(sum(int(r.posts) for r in previous_own), previous_posts),
        ),
    )


def _sums(rows: Sequence[Row[Any]], total: int, total_posts: int) -> dict[str, Any]:
    likes = sum(int(r.likes) for r in rows)
    comments = sum(int(r.comments) for r in rows)
    shares = sum(int(r.shares) for r in rows)
    posts = sum(int(r.posts) for r in rows)
    engagement = likes + comments + shares
    return {
        "posts": posts,
        "likes": likes,
        "comments": comments,
        "shares": shares,
        "engagement": engagement,
        "share": _ratio(engagement, total),
        "post_share": _ratio(posts, total_posts),
    }
