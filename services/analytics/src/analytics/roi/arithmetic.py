"""ROI arithmetic in Decimal: no float ever touches money, and currencies are never mixed.

ROI is (value - cost) / cost, in one currency; cost per conversion is cost / conversions. A
campaign's cost is shared out over its publications (each post target published counts the
same), so networks and posts get a part of it.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal
from typing import TypeVar

K = TypeVar("K", bound=Hashable)

RATIO = Decimal("0.0001")
# ISO 4217 minor units where they are not 2; amounts are shown to the currency's minor unit.
_ZERO_DECIMALS = "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX VND VUV XAF XOF XPF"
_THREE_DECIMALS = "BHD IQD JOD KWD LYD OMR TND"
_MINOR_UNITS = {
    **dict.fromkeys(_ZERO_DECIMALS.split(), 0),
    **dict.fromkeys(_THREE_DECIMALS.split(), 3),
}


def money(amount: Decimal, currency: str) -> Decimal:
    """`amount` rounded half-even to the minor unit of `currency` (cents for most)."""
    return amount.quantize(Decimal(1).scaleb(-_MINOR_UNITS.get(currency, 2)), ROUND_HALF_EVEN)


def ratio(numerator: Decimal, denominator: Decimal) -> Decimal | None:
    """numerator / denominator to four places, or None when the denominator is zero."""
    if not denominator:
        return None
    return (numerator / denominator).quantize(RATIO, ROUND_HALF_EVEN)


def roi(value: Decimal, cost: Decimal) -> Decimal | None:
    """(value - cost) / cost: 0.5 is half the cost earned back on top of it; None for no cost."""
    return ratio(value - cost, cost)


def allocate(cost: Decimal, weights: Mapping[K, int]) -> dict[K, Decimal]:
    """`cost` shared in proportion to `weights`, unrounded so shares add up to the whole;
    empty when there is nothing to share by."""
    total = sum(weights.values())
    if total <= 0:
        return {}
    return {key: cost * weight / total for key, weight in weights.items() if weight > 0}


@dataclass
class Tally:
    """Clicks, conversions, and value and cost per currency, of one report row."""

    clicks: int = 0
    conversions: int = 0
    values: dict[str, Decimal] = field(default_factory=dict)
    costs: dict[str, Decimal] = field(default_factory=dict)

    def add(
        self,
        *,
        clicks: int = 0,
        conversions: int = 0,
        currency: str = "",
        value: Decimal = Decimal(0),
    ) -> None:
        """Count a rollup row in; '' is the currency of rows without a value."""
        self.clicks += clicks
        self.conversions += conversions
        if currency:
            self.values[currency] = self.values.get(currency, Decimal(0)) + value

    def add_cost(self, currency: str, amount: Decimal) -> None:
        """Count a cost (or a share of one) in."""
        self.costs[currency] = self.costs.get(currency, Decimal(0)) + amount


@dataclass(frozen=True)
class CurrencyReturns:
    """Cost, value and their ratios in one currency."""

    currency: str
    cost: Decimal | None
    value: Decimal
    roi: Decimal | None
    cost_per_conversion: Decimal | None


@dataclass(frozen=True)
class Returns:
    """What a report row shows: counts, their rate, and per-currency money."""

    clicks: int
    conversions: int
    conversion_rate: Decimal | None
    currencies: list[CurrencyReturns]


def returns(tally: Tally) -> Returns:
    """The returns of a tally: one entry per currency with a cost or a value, sorted by code.

    ROI and cost per conversion are computed on unrounded sums, then rounded; a currency with a
    value but no cost has neither.
    """
    entries = []
    for currency in sorted(tally.values.keys() | tally.costs.keys()):
        value = tally.values.get(currency, Decimal(0))
        cost = tally.costs.get(currency)
        entries.append(
            CurrencyReturns(
                currency=currency,
                cost=money(cost, currency) if cost is not None else None,
                value=money(value, currency),
                roi=roi(value, cost) if cost is not None else None,
                cost_per_conversion=(
                    money(cost / tally.conversions, currency)
                    if cost is not None and tally.conversions
                    else None
                ),
            )
        )
    return Returns(
        clicks=tally.clicks,
        conversions=tally.conversions,
        conversion_rate=ratio(Decimal(tally.conversions), Decimal(tally.clicks)),
        currencies=entries,
    )


def total_by_currency(amounts: Iterable[tuple[str, Decimal]]) -> dict[str, Decimal]:
    """Amounts summed per currency."""
    totals: dict[str, Decimal] = {}
    for currency, amount in amounts:
        totals[currency] = totals.get(currency, Decimal(0)) + amount
    return totals
