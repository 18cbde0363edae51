"""ROI reports, read from the daily rollup and the campaigns' publications, never from raw
conversions.

A campaign's cost is its whole cost, whatever the period: the period narrows the conversions
counted. Networks and posts get a share of it in proportion to their publications in the
campaign (each published post target counts the same).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable
from typing import Any, TypeVar
from uuid import UUID

from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncSession

from analytics import periods
from analytics.roi import repository
from analytics.roi.arithmetic import Tally, allocate, money, returns, total_by_currency
from analytics.roi.exceptions import CampaignNotFound
from analytics.roi.repository import Period
from analytics.roi.schemas import (
    CampaignBreakdown,
    CampaignPage,
    CampaignQuery,
    CampaignReturnsOut,
    CampaignSummary,
    MoneyOut,
    NetworkQuery,
    NetworkReport,
    NetworkReturnsOut,
    PeriodQuery,
    PostReturnsOut,
    ReturnsOut,
)
from beacon_shared.contracts.common import Network
from beacon_shared.pagination import Cursor, split_page

K = TypeVar("K", bound=Hashable)


def period_of(query: PeriodQuery) -> Period:
    """The query's period; InvalidPeriod when it ends before it starts."""
    periods.check_days(query.from_, query.to)
    return Period(query.from_, query.to)


async def campaign_page(
    session: AsyncSession,
    *,
    tenant_id: str,
    query: CampaignQuery,
    brands: frozenset[str] | None,
) -> CampaignPage:
    """A page of the tenant's campaigns of these brands (None: every campaign) that ran or
    converted in the period, newest first."""
    period = period_of(query)
    after = Cursor.decode(query.cursor) if query.cursor else None
    rows = await repository.campaign_page(
        session,
        tenant_id=tenant_id,
        brands=brands,
        period=period,
        after=after,
        limit=query.limit + 1,
    )
    page, next_cursor = split_page(rows, query.limit, at="created_at", tie="campaign_id")
    ids = [row.campaign_id for row in page]
    totals = await repository.day_totals(
        session, tenant_id=tenant_id, campaign_ids=ids, period=period
    )
    publications = await repository.publication_counts(
        session, tenant_id=tenant_id, campaign_ids=ids
    )
    tallies = _tallies(totals, key=lambda r: r.campaign_id)
    counts = {row.campaign_id: row.publications for row in publications}
    items = []
    for row in page:
        tally = tallies.get(row.campaign_id, Tally())
        _add_campaign_cost(tally, row)
        items.append(_campaign_returns(row, tally, counts.get(row.campaign_id, 0)))
    return CampaignPage(items=items, next_cursor=next_cursor)


async def campaign_breakdown(
    session: AsyncSession,
    *,
    tenant_id: str,
    campaign_id: UUID,
    query: PeriodQuery,
    brands: frozenset[str] | None,
) -> CampaignBreakdown:
    """One campaign's returns over the period, and per network and per post; a campaign of a
    brand outside `brands` (None: every campaign) is not found."""
    period = period_of(query)
    row = await repository.get_campaign(session, tenant_id=tenant_id, campaign_id=campaign_id)
    if row is None or (brands is not None and row.brand_id not in brands):
        raise CampaignNotFound(campaign_id)
    ids = [campaign_id]
    overall = _tallies(
        await repository.day_totals(session, tenant_id=tenant_id, campaign_ids=ids, period=period),
        key=lambda r: r.campaign_id,
    ).get(campaign_id, Tally())
    _add_campaign_cost(overall, row)
    by_network = await _breakdown(session, tenant_id, row, period, "network")
    by_post = await _breakdown(session, tenant_id, row, period, "post_id")
    total_publications = sum(count for _, count in by_network.values())
    return CampaignBreakdown(
        **_campaign_returns(row, overall, total_publications).model_dump(),
        networks=[
            NetworkReturnsOut(
                **_returns_fields(tally),
                network=Network(key) if key else None,
                publications=count,
            )
            for key, (tally, count) in sorted(by_network.items(), key=_known_first)
        ],
        posts=[
            PostReturnsOut(
                **_returns_fields(tally),
                post_id=UUID(key) if key else None,
                publications=count,
            )
            for key, (tally, count) in sorted(
                by_post.items(),
                key=lambda item: (-item[1][0].conversions, -item[1][0].clicks, *_known_first(item)),
            )
        ],
    )


async def network_report(
    session: AsyncSession, *, tenant_id: str, query: NetworkQuery, brands: frozenset[str] | None
) -> NetworkReport:
    """Returns per network over every campaign of these brands (None: every campaign) that ran
    or converted in the period."""
    period = period_of(query)
    campaigns = await repository.campaigns_in_scope(
        session, tenant_id=tenant_id, brands=brands, period=period
    )
    ids = [row.campaign_id for row in campaigns]
    totals = await repository.day_totals(
        session, tenant_id=tenant_id, campaign_ids=ids, period=period, by="network"
    )
    publications = await repository.publication_counts(
        session, tenant_id=tenant_id, campaign_ids=ids, by="network"
    )
    tallies = _tallies(totals, key=lambda r: r.network)
    weights: dict[UUID, dict[str, int]] = defaultdict(dict)
    counts: dict[str, int] = defaultdict(int)
    for row in publications:
        weights[row.campaign_id][row.network] = row.publications
        counts[row.network] += row.publications
    unallocated: list[tuple[str, Any]] = []
    for row in campaigns:
        if row.cost_amount is None:
            continue
        shares = allocate(row.cost_amount, weights.get(row.campaign_id, {}))
        if not shares:
            unallocated.append((row.currency, row.cost_amount))
        for network, share in shares.items():
            tallies.setdefault(network, Tally()).add_cost(row.currency, share)
    networks = {key: (tallies.get(key, Tally()), counts.get(key, 0)) for key in tallies | counts}
    return NetworkReport(
        networks=[
            NetworkReturnsOut(
                **_returns_fields(tally), network=Network(key) if key else None, publications=count
            )
            for key, (tally, count) in sorted(networks.items(), key=_known_first)
        ],
        unallocated_cost=[
            MoneyOut(currency=currency, amount=money(amount, currency))
            for currency, amount in sorted(total_by_currency(unallocated).items())
        ],
    )


async def _breakdown(
    session: AsyncSession, tenant_id: str, campaign: Row[Any], period: Period, by: str
) -> dict[str, tuple[Tally, int]]:
    """Per network or post: the tally, with its share of the cost, and its publications."""
    ids = [campaign.campaign_id]
    totals = await repository.day_totals(
        session, tenant_id=tenant_id, campaign_ids=ids, period=period, by=by
    )
    publications = await repository.publication_counts(
        session, tenant_id=tenant_id, campaign_ids=ids, by=by
    )
    tallies = _tallies(totals, key=lambda r: r._mapping[by])
    counts = {_text(row._mapping[by]): row.publications for row in publications}
    if campaign.cost_amount is not None:
        for key, share in allocate(campaign.cost_amount, counts).items():
            tallies.setdefault(key, Tally()).add_cost(campaign.currency, share)
    return {key: (tallies.get(key, Tally()), counts.get(key, 0)) for key in tallies | counts}


def _tallies(rows: Iterable[Row[Any]], *, key: Callable[[Row[Any]], object]) -> dict[Any, Tally]:
    tallies: dict[Any, Tally] = {}
    for row in rows:
        tallies.setdefault(key(row), Tally()).add(
            clicks=row.clicks, conversions=row.conversions, currency=row.currency, value=row.value
        )
    return tallies


def _text(value: object) -> Any:
    # Publications hold post ids as UUIDs, the rollup as text.
    return str(value) if isinstance(value, UUID) else value


def _add_campaign_cost(tally: Tally, campaign: Row[Any]) -> None:
    if campaign.cost_amount is not None:
        tally.add_cost(campaign.currency, campaign.cost_amount)


def _campaign_returns(campaign: Row[Any], tally: Tally, publications: int) -> CampaignReturnsOut:
    summary = CampaignSummary.model_validate(
        {**campaign._mapping, "id": campaign.campaign_id}, from_attributes=False
    )
    return CampaignReturnsOut(**_returns_fields(tally), campaign=summary, publications=publications)


def _returns_fields(tally: Tally) -> dict[str, Any]:
    return dict(ReturnsOut.model_validate(returns(tally), from_attributes=True))


def _known_first(item: tuple[K, Any]) -> tuple[bool, str]:
    # Known networks and posts by name, the unknown ('') last.
    key = str(item[0])
    return (key == "", key)
