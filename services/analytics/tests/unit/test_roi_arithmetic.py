"""ROI arithmetic: Decimal only, rounded half-even, one currency at a time."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from analytics.roi.arithmetic import (
    CurrencyReturns,
    Tally,
    allocate,
    money,
    ratio,
    returns,
    roi,
    total_by_currency,
)
from analytics.roi.attribution import network_of, post_of
from analytics.roi.conversions import Submission, check, day_deltas, fingerprint
from analytics.roi.repository import DayDelta, DayKey, utm_lock_key
from analytics.roi.schemas import ConversionIn
from beacon_shared.contracts.common import Network

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


class TestRoi:
    def test_is_the_gain_over_the_cost(self):
        assert roi(Decimal("1500.00"), Decimal("1000.00")) == Decimal("0.5000")

    def test_is_minus_one_when_nothing_came_back(self):
        assert roi(Decimal(0), Decimal("250.00")) == Decimal("-1.0000")

    def test_is_undefined_for_a_free_campaign(self):
        assert roi(Decimal("80"), Decimal("0.00")) is None

    def test_is_exact_where_floats_are_not(self):
        # 0.1 + 0.2 earned on 0.3 spent is exactly break-even in Decimal, not in float.
        assert roi(Decimal("0.1") + Decimal("0.2"), Decimal("0.3")) == Decimal("0.0000")

    def test_rounds_half_to_even_at_four_places(self):
        assert ratio(Decimal("1.00005"), Decimal(1)) == Decimal("1.0000")
        assert ratio(Decimal("1.00015"), Decimal(1)) == Decimal("1.0002")


class TestMoney:
    @pytest.mark.parametrize(
        ("amount", "currency", "shown"),
        [
            ("10.005", "EUR", "10.00"),
            ("10.015", "EUR", "10.02"),
            ("1234.5", "JPY", "1234"),
            ("1.2345", "BHD", "1.234"),
            ("3", "USD", "3.00"),
        ],
    )
    def test_is_shown_to_the_currency_s_minor_unit(self, amount, currency, shown):
        assert str(money(Decimal(amount), currency)) == shown


class TestAllocate:
    def test_shares_follow_the_weights_and_add_up_to_the_whole(self):
        shares = allocate(Decimal("100.00"), {"x": 1, "facebook": 2})

        assert sum(shares.values()) == Decimal("100.00")
        assert money(shares["x"], "EUR") == Decimal("33.33")
        assert money(shares["facebook"], "EUR") == Decimal("66.67")

    def test_nothing_to_share_by_gives_no_share(self):
        assert allocate(Decimal("100"), {}) == {}
        assert allocate(Decimal("100"), {"x": 0}) == {}


class TestReturns:
    def test_roi_uses_the_value_in_the_cost_s_currency_only(self):
        tally = Tally()
        tally.add(clicks=40)
        tally.add(conversions=3, currency="EUR", value=Decimal("150.0000"))
        tally.add(conversions=1, currency="USD", value=Decimal("99.9900"))
        tally.add_cost("EUR", Decimal("100.00"))

        result = returns(tally)

        assert (result.clicks, result.conversions) == (40, 4)
        assert result.conversion_rate == Decimal("0.1000")
        assert result.currencies == [
            CurrencyReturns(
                currency="EUR",
                cost=Decimal("100.00"),
                value=Decimal("150.00"),
                roi=Decimal("0.5000"),
                cost_per_conversion=Decimal("25.00"),
            ),
            CurrencyReturns(
                currency="USD",
                cost=None,
                value=Decimal("99.99"),
                roi=None,
                cost_per_conversion=None,
            ),
        ]

    def test_a_cost_without_conversions_loses_it_all(self):
        tally = Tally(clicks=5)
        tally.add_cost("JPY", Decimal("30000"))

        [entry] = returns(tally).currencies

        assert (entry.cost, entry.value, entry.roi) == (Decimal(30000), Decimal(0), Decimal(-1))
        assert entry.cost_per_conversion is None
        assert returns(tally).conversion_rate == Decimal(0)

    def test_ratios_come_from_unrounded_shares(self):
        tally = Tally(conversions=3)
        for share in allocate(Decimal("100.00"), {"a": 1, "b": 1, "c": 1}).values():
            tally.add_cost("EUR", share)

        [entry] = returns(tally).currencies

        assert entry.cost == Decimal("100.00")
        assert entry.cost_per_conversion == Decimal("33.33")
        assert entry.roi == Decimal("-1.0000")

    def test_no_clicks_means_no_conversion_rate(self):
        assert returns(Tally(conversions=2)).conversion_rate is None

    def test_no_money_means_no_currency(self):
        assert returns(Tally(clicks=3)).currencies == []

    def test_totals_per_currency(self):
        assert total_by_currency(
            [("EUR", Decimal("1.10")), ("USD", Decimal(2)), ("EUR", Decimal("2.20"))]
        ) == {"EUR": Decimal("3.30"), "USD": Decimal(2)}


class TestAttribution:
    @pytest.mark.parametrize(
        ("source", "network"),
        [
            ("facebook", Network.facebook),
            (" LinkedIn ", Network.linkedin),
            ("twitter", Network.x),
            ("newsletter", None),
            (None, None),
        ],
    )
    def test_utm_source_names_the_network(self, source, network):
        assert network_of(source) == network

    def test_a_given_network_wins_over_utm_source(self):
        assert network_of("facebook", Network.mastodon) is Network.mastodon

    def test_utm_content_is_a_post_only_when_it_is_an_id(self):
        post_id = uuid.uuid4()
        assert post_of(str(post_id)) == post_id
        assert post_of("hero-banner") is None
        assert post_of(None) is None
        assert post_of("hero-banner", post_id) == post_id


def conversion(**values: object) -> ConversionIn:
    return ConversionIn.model_validate(
        {"kind": "conversion", "occurred_at": NOW.isoformat(), **values}
    )


class TestCheck:
    def pointers(self, body: ConversionIn, pointer: str = "") -> set[str]:
        return {e["pointer"] for e in check(Submission(body, pointer=pointer), now=NOW)}

    def test_a_valued_conversion_passes(self):
        assert self.pointers(conversion(value="49.90", currency="eur")) == set()

    def test_a_click_with_a_value_is_refused(self):
        body = conversion(kind="click", value="1", currency="EUR")
        assert self.pointers(body, "/conversions/2") == {"/conversions/2/value"}

    def test_value_and_currency_go_together(self):
        assert self.pointers(conversion(value="10")) == {"/currency"}
        assert self.pointers(conversion(currency="EUR")) == {"/value"}

    def test_a_time_ahead_of_the_clock_is_refused_past_the_skew(self):
        assert self.pointers(conversion(occurred_at=(NOW + timedelta(minutes=4)).isoformat())) == (
            set()
        )
        assert self.pointers(conversion(occurred_at=(NOW + timedelta(minutes=6)).isoformat())) == {
            "/occurred_at"
        }


class TestFingerprint:
    def test_the_same_value_written_otherwise_is_the_same_conversion(self):
        assert fingerprint(conversion(value="49.9", currency="EUR")) == fingerprint(
            conversion(value="49.9000", currency="eur")
        )

    def test_another_value_is_another_conversion(self):
        assert fingerprint(conversion(value="49.9", currency="EUR")) != fingerprint(
            conversion(value="49.8", currency="EUR")
        )


class TestDayDeltas:
    def test_attributed_rows_are_summed_per_utc_day_and_currency(self):
        campaign_id, post_id = uuid.uuid4(), uuid.uuid4()
        paris = timezone(timedelta(hours=1))
        base = {
            "tenant_id": "t",
            "campaign_id": campaign_id,
            "network": "x",
            "post_id": post_id,
            "currency": None,
            "value": None,
        }
        rows = [
            {**base, "kind": "click", "occurred_at": datetime(2026, 11, 25, 0, 30, tzinfo=paris)},
            {**base, "kind": "click", "occurred_at": datetime(2026, 11, 24, 23, 0, tzinfo=UTC)},
            {
                **base,
                "kind": "conversion",
                "occurred_at": NOW,
                "currency": "EUR",
                "value": Decimal("10.5000"),
            },
            {
                **base,
                "kind": "conversion",
                "occurred_at": NOW,
                "currency": "EUR",
                "value": Decimal("4.5000"),
            },
            {**base, "kind": "click", "occurred_at": NOW, "campaign_id": None},
        ]

        deltas = day_deltas(rows)

        key = DayKey("t", campaign_id, NOW.date(), "x", str(post_id), "")
        assert deltas == {
            key._replace(day=datetime(2026, 11, 24).date()): DayDelta(2, 0, Decimal(0)),
            key._replace(currency="EUR"): DayDelta(0, 2, Decimal("15.0000")),
        }


def test_lock_keys_are_stable_and_tell_tenants_apart():
    assert utm_lock_key("t1", "spring") == utm_lock_key("t1", "spring")
    assert utm_lock_key("t1", "spring") != utm_lock_key("t2", "spring")
    assert -(2**63) <= utm_lock_key("t1", "spring") < 2**63
