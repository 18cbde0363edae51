"""Trends: a brand's most counted terms over a period, and the terms spiking in it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from analytics import periods
from analytics.listening import repository
from analytics.listening.recording import hour_of
from analytics.listening.schemas import SpikingTerm, TermKind, TermSource, TopTerm, Trends
from analytics.listening.spikes import SpikeRule, strongest_spike
from analytics.listening.terms import is_hashtag

MAX_RANGE = timedelta(days=31)
# The baseline of each hour is built from this many hours before the period too.
LOOKBACK = timedelta(days=7)
# How far before its start a trend reads: the period of the same length before it (for
# `previous_count`) or the baseline's lookback, whichever is longer.
READS_BEFORE = max(MAX_RANGE, LOOKBACK)
# Periods start at most this long ago; term counts are kept long enough for them (see jobs).
HISTORY = timedelta(days=90)
# Only the terms with the busiest hours are scored: a term below min_count cannot spike.
MAX_CANDIDATES = 100
HOUR = timedelta(hours=1)
DEFAULT_RULE = SpikeRule()
METHOD = (
    "Per term and UTC hour, the number of texts carrying it. An hour spikes when it holds at "
    "least {min_count} texts and z = (count - mu) / sqrt(max(v, mu, 1)) >= {threshold}, where "
    "mu and v are the exponentially weighted mean and variance (alpha = {alpha}) of the term's "
    "earlier "
    "hourly counts, from {lookback} days before the period on; each term is reported at its "
    "strongest hour."
)


def _kind(term: str) -> TermKind:
    return TermKind.hashtag if is_hashtag(term) else TermKind.keyword


async def trends(
    session: AsyncSession,
    *,
    tenant_id: str,
    brand_id: str,
    start: datetime,
    end: datetime,
    sources: Sequence[TermSource],
    limit: int,
    rule: SpikeRule = DEFAULT_RULE,
    now: datetime | None = None,
) -> Trends:
    """Top terms over the hours touching [start, end), with their count in the hours before;
    spiking terms, strongest first. The period starts within HISTORY of `now`."""
    periods.check_range(start, end, max_span=MAX_RANGE)
    periods.check_since(start, oldest=(now or datetime.now(UTC)) - HISTORY)
    first = hour_of(start)
    last = hour_of(end - timedelta(microseconds=1)) + HOUR
    names = sorted({s.value for s in sources})
    scope = repository.TermScope(tenant_id, brand_id, names)
    top = await repository.top_terms(session, scope, start=first, end=last, limit=limit)
    before = await repository.term_totals(
        session, scope, terms=[t for t, _ in top], start=first - (last - first), end=first
    )
    candidates = await repository.busiest_terms(
        session, scope, start=first, end=last, min_count=rule.min_count, limit=MAX_CANDIDATES
    )
    origin = first - LOOKBACK
    hours = int((last - origin) / HOUR)
    series = {term: [0] * hours for term in candidates}
    for term, at, count in await repository.term_hours(
        session, scope, terms=candidates, start=origin, end=last
    ):
        series[term][int((at - origin) / HOUR)] = count
    evaluate_from = int(LOOKBACK / HOUR)
    spiking = []
    for term, counts in series.items():
        spike = strongest_spike(counts, evaluate_from=evaluate_from, rule=rule)
        if spike is not None:
            spiking.append(
                SpikingTerm(
                    term=term,
                    kind=_kind(term),
                    hour=origin + spike.index * HOUR,
                    count=spike.count,
                    baseline=round(spike.baseline, 3),
                    z=round(spike.z, 3),
                )
            )
    spiking.sort(key=lambda s: (-s.z, s.term))
    return Trends(
        brand_id=brand_id,
        from_=first,
        to=last,
        sources=[TermSource(n) for n in names],
        top=[
            TopTerm(term=t, kind=_kind(t), count=n, previous_count=before.get(t, 0)) for t, n in top
        ],
        spiking=spiking[:limit],
        method=METHOD.format(
            min_count=rule.min_count,
            threshold=rule.threshold,
            alpha=rule.alpha,
            lookback=LOOKBACK.days,
        ),
    )
