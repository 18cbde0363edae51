"""HTTP routes of listening: share of voice, trends and best times to post."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query

from analytics.listening import best_times as best_times_service
from analytics.listening import share_of_voice as share_of_voice_service
from analytics.listening import trends as trends_service
from analytics.listening.best_times import AccountKey
from analytics.listening.schemas import BestTimes, ShareOfVoice, TermSource, Trends
from beacon_shared.auth import Principal
from beacon_shared.auth.brands import Brands
from beacon_shared.auth.verify import require_brand_scope
from beacon_shared.bounds import Day, Timestamp
from beacon_shared.db import DbSession

router = APIRouter(prefix="/v1/listening", tags=["listening"])
accounts_router = APIRouter(prefix="/v1/accounts", tags=["listening"])
READ = "analytics:read"
Reader = Annotated[Principal, Depends(require_brand_scope(READ))]
BrandId = Annotated[str, Query(min_length=1, max_length=128)]


@router.get(
    "/share-of-voice",
    summary="A brand's share of voice against its tracked competitors",
    responses={401: {}, 403: {}, 422: {}},
)
async def get_share_of_voice(
    principal: Reader,
    brands: Brands,
    session: DbSession,
    brand_id: BrandId,
    from_: Annotated[Day, Query(alias="from", description="First day (the brand's), included.")],
    to: Annotated[Day, Query(description="Last day, included.")],
) -> ShareOfVoice:
    """Engagement (likes + comments + shares, latest totals) of the posts published on these
    days by the brand's own Mastodon and Bluesky accounts and by each tracked competitor; the
    brand's share of the total, and that share in the previous period of the same length."""
    await brands.check(principal, READ, brand_id)
    return await share_of_voice_service.share_of_voice(
        session, tenant_id=principal.tenant_id, brand_id=brand_id, first_day=from_, last_day=to
    )


@router.get(
    "/trends",
    summary="A brand's top and spiking hashtags and keywords",
    responses={401: {}, 403: {}, 422: {}},
)
async def get_trends(
    principal: Reader,
    brands: Brands,
    session: DbSession,
    brand_id: BrandId,
    from_: Annotated[Timestamp, Query(alias="from", description="Start (with offset).")],
    to: Annotated[Timestamp, Query(description="End, exclusive (with offset).")],
    source: Annotated[
        list[TermSource] | None,
        Query(
            max_length=len(TermSource),
            description="Texts to count terms in; every source when absent.",
        ),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> Trends:
    """Over the UTC hours touching [from, to), at most 31 days: the terms carried by the most
    texts, and the terms whose hourly count spiked against their baseline (see `method`)."""
    await brands.check(principal, READ, brand_id)
    return await trends_service.trends(
        session,
        tenant_id=principal.tenant_id,
        brand_id=brand_id,
        start=from_,
        end=to,
        sources=source or list(TermSource),
        limit=limit,
    )


@accounts_router.get(
    "/{account}/best-times",
    summary="When an account's posts earn the most engagement",
    responses={401: {}, 403: {}, 422: {}},
)
async def get_best_times(
    principal: Reader,
    brands: Brands,
    session: DbSession,
    account: Annotated[
        str,
        Path(max_length=300, description="<network>:<external_account_id>, e.g. bluesky:did:plc:x"),
    ],
    brand_id: Annotated[
        str | None, Query(max_length=128, description="The brand; the account's when absent.")
    ] = None,
    days: Annotated[int, Query(ge=7, le=365, description="How far back posts count.")] = 90,
    min_age_hours: Annotated[
        int, Query(ge=0, le=168, description="Younger posts are still gathering engagement.")
    ] = 48,
    limit: Annotated[int, Query(ge=1, le=20)] = 5,
) -> BestTimes:
    """Engagement of the account's own posts by weekday x hour of publication in the brand's
    time zone, best slots first, with the sample sizes behind them and how far to trust them.
    Without `brand_id`, an account of a brand the credential may not read is answered as one
    never seen."""
    if brand_id is not None:
        await brands.check(principal, READ, brand_id)
    return await best_times_service.best_times(
        session,
        tenant_id=principal.tenant_id,
        account=AccountKey.parse(account),
        brand_id=brand_id,
        now=datetime.now(UTC),
        days=days,
        min_age_hours=min_age_hours,
        limit=limit,
        visible=principal.brands_for(READ),
    )
