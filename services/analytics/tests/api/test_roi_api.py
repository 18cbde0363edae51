"""The conversions and ROI API: recording, replays, reports, validation, isolation and auth."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from analytics.config import Settings
from analytics.main import create_app
from analytics.roi import campaigns
from beacon_shared.contracts.common import Network
from beacon_shared.contracts.publisher import CampaignChanged, PostPublished
from beacon_shared.db import create_sessionmaker
from beacon_shared.events import Envelope

pytestmark = pytest.mark.integration

PUBLISHER = "/beacon/publisher"
NOV_10 = "2025-11-10T15:00:00Z"
DEC_5 = "2025-12-05T15:00:00Z"


def changed(tenant_id: str, campaign_id: uuid.UUID, **values: object) -> Envelope:
    payload = CampaignChanged.model_validate(
        {"campaign_id": campaign_id, "kind": "promotion", "utm_medium": "social", **values}
    )
    return Envelope.build(payload, tenant_id=tenant_id, subject=str(campaign_id), source=PUBLISHER)


def published(
    tenant_id: str, campaign_id: uuid.UUID, post_id: uuid.UUID, network: Network
) -> Envelope:
    payload = PostPublished(
        post_id=post_id,
        target_id=uuid.uuid4(),
        campaign_id=str(campaign_id),
        account_id="acc",
        network=network,
        external_id=uuid.uuid4().hex,
        scheduled_at=datetime(2025, 11, 2, tzinfo=UTC),
        published_at=datetime(2025, 11, 2, tzinfo=UTC),
    )
    return Envelope.build(payload, tenant_id=tenant_id, subject=str(post_id), source=PUBLISHER)


class World:
    """One tenant's campaigns, publications and conversions, committed."""

    def __init__(self, tenant_id: str) -> None:
        self.tenant_id = tenant_id
        self.spring, self.winter, self.free = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
        self.p1, self.p2 = uuid.uuid4(), uuid.uuid4()

    def campaign_events(self) -> list[Envelope]:
        t = self.tenant_id
        return [
            changed(
                t,
                self.spring,
                name="Spring",
                brand_id="brand-a",
                utm_campaign="spring",
                cost_amount="1000.00",
                currency="EUR",
                starts_at="2025-11-01T00:00:00Z",
                ends_at="2025-11-30T00:00:00Z",
                changed_at="2025-10-01T00:00:00Z",
            ),
            changed(
                t,
                self.winter,
                name="Winter",
                brand_id="brand-b",
                utm_campaign="winter",
                cost_amount="500.00",
                currency="USD",
                starts_at="2025-12-01T00:00:00Z",
                changed_at="2025-10-02T00:00:00Z",
            ),
            changed(
                t,
                self.free,
                name="Free",
                brand_id="brand-a",
                utm_campaign="free",
                changed_at="2025-10-03T00:00:00Z",
            ),
        ]

    def publication_events(self) -> list[Envelope]:
        t = self.tenant_id
        return [
            published(t, self.spring, self.p1, Network.x),
            published(t, self.spring, self.p1, Network.facebook),
            published(t, self.spring, self.p2, Network.x),
        ]

    def conversions(self) -> list[dict[str, object]]:
        def click(source: str, post: uuid.UUID) -> dict[str, object]:
            return {
                "kind": "click",
                "occurred_at": NOV_10,
                "utm_source": source,
                "utm_campaign": "spring",
                "utm_content": str(post),
            }

        def sale(
            source: str, post: uuid.UUID | None, value: str, currency: str, at: str = NOV_10
        ) -> dict[str, object]:
            return {
                "kind": "conversion",
                "occurred_at": at,
                "value": value,
                "currency": currency,
                "utm_source": source,
                "utm_campaign": "spring",
                **({"utm_content": str(post)} if post else {}),
            }

        return [
            *[click("x", self.p1)] * 4,
            *[click("facebook", self.p1)] * 4,
            *[click("x", self.p2)] * 2,
            sale("x", self.p1, "300", "EUR"),
            sale("x", self.p1, "300.00", "EUR"),
            sale("facebook", self.p1, "600", "EUR"),
            sale("x", self.p2, "100", "USD"),
            sale("x", self.p1, "500", "EUR", at=DEC_5),
            {**sale("newsletter", None, "200", "USD", at=DEC_5), "utm_campaign": "winter"},
            {"kind": "click", "occurred_at": NOV_10, "utm_campaign": "ghost"},
        ]


@pytest.fixture
async def app_for(settings_for, api_client, issue_api_key, register_brands):
    """`async with app_for(tenant, scopes) as http`: a client with a key of the tenant (limited
    to `brand_ids` when given), whose brand-a and brand-b are registered."""
    import contextlib

    @contextlib.asynccontextmanager
    async def open_client(
        tenant_id: str, scopes: tuple[str, ...], brand_ids: tuple[str, ...] | None = None
    ):
        await register_brands(tenant_id, "brand-a", "brand-b")
        key = await issue_api_key(tenant_id, scopes=scopes, brand_ids=brand_ids)
        async with api_client(create_app(settings_for(Settings)), key=key.key) as http:
            yield http

    return open_client


@pytest.fixture
async def world(engine, unique, app_for) -> World:
    world = World(unique("tenant"))
    async with create_sessionmaker(engine)() as session, session.begin():
        await campaigns.apply_changes(session, world.campaign_events())
        await campaigns.record_publications(session, world.publication_events())
    async with app_for(world.tenant_id, ("analytics:write",)) as http:
        response = await http.post(
            "/v1/conversions:batch", json={"conversions": world.conversions()}
        )
    assert response.status_code == 200, response.text
    return world


@pytest.fixture
async def reader(world, app_for):
    async with app_for(world.tenant_id, ("analytics:read",)) as http:
        yield http


@pytest.fixture
async def writer(unique, app_for):
    tenant = unique("tenant")
    async with app_for(tenant, ("analytics:write",)) as http:
        http.tenant = tenant  # type: ignore[attr-defined]
        yield http


def money(entries: list[dict[str, object]]) -> dict[object, tuple[object, ...]]:
    return {
        e["currency"]: (e["cost"], e["value"], e["roi"], e["cost_per_conversion"]) for e in entries
    }


def assert_problem(response, status: int, code: str, pointers: set[str]) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["code"] == code
    assert {e["pointer"] for e in body.get("errors", [])} == pointers


class TestRecording:
    async def test_an_attributed_conversion_is_created(self, writer, engine):
        campaign_id = uuid.uuid4()
        async with create_sessionmaker(engine)() as s, s.begin():
            await campaigns.apply_changes(
                s,
                [
                    changed(
                        writer.tenant,
                        campaign_id,
                        name="Launch",
                        utm_campaign="launch",
                        changed_at="2025-10-01T00:00:00Z",
                    )
                ],
            )

        response = await writer.post(
            "/v1/conversions",
            json={
                "kind": "conversion",
                "occurred_at": NOV_10,
                "value": "19.99",
                "currency": "usd",
                "utm_source": "instagram",
                "utm_campaign": "launch",
            },
        )

        assert response.status_code == 201
        body = response.json()
        assert (body["attributed"], body["reason"], body["campaign_id"]) == (
            True,
            None,
            str(campaign_id),
        )
        assert (body["network"], body["value"], body["currency"]) == (
            "instagram",
            "19.9900",
            "USD",
        )

    async def test_an_unknown_campaign_is_accepted_unattributed_with_its_reason(self, writer):
        response = await writer.post(
            "/v1/conversions",
            json={"kind": "click", "occurred_at": NOV_10, "utm_campaign": "not-yet"},
        )

        assert response.status_code == 201
        assert (response.json()["attributed"], response.json()["reason"]) == (
            False,
            "unknown_campaign",
        )

    async def test_a_retry_with_the_same_key_is_a_replay(self, writer):
        sent = {"kind": "click", "occurred_at": NOV_10, "utm_campaign": "c"}
        first = await writer.post("/v1/conversions", json=sent, headers={"Idempotency-Key": "k1"})
        again = await writer.post("/v1/conversions", json=sent, headers={"Idempotency-Key": "k1"})

        assert (first.status_code, again.status_code) == (201, 200)
        assert again.headers["Idempotent-Replayed"] == "true"
        assert "Idempotent-Replayed" not in first.headers
        assert again.json() == first.json()

    async def test_a_conversion_id_reused_for_another_conversion_is_a_422(self, writer):
        sent = {"conversion_id": "order-1", "kind": "click", "occurred_at": NOV_10}
        await writer.post("/v1/conversions", json=sent)

        response = await writer.post(
            "/v1/conversions", json={**sent, "occurred_at": "2025-11-11T00:00:00Z"}
        )

        assert_problem(response, 422, "conversion_id_reused", {"/conversion_id"})

    async def test_bad_fields_are_a_422_with_a_pointer_each(self, writer):
        response = await writer.post(
            "/v1/conversions",
            json={
                "kind": "view",
                "occurred_at": "2025-11-10T15:00:00",
                "value": "-1",
                "currency": "EURO",
                "post_id": "p-1",
                "utm_campain": "typo",
            },
        )

        assert_problem(
            response,
            422,
            "validation_failed",
            {"/kind", "/occurred_at", "/value", "/currency", "/post_id", "/utm_campain"},
        )

    async def test_fields_wrong_together_are_a_422_with_pointers(self, writer):
        response = await writer.post(
            "/v1/conversions",
            json={"kind": "click", "occurred_at": NOV_10, "value": "5", "currency": "EUR"},
        )

        assert_problem(response, 422, "invalid_conversion", {"/value"})

    async def test_a_batch_points_at_each_bad_item_and_stores_none(self, writer):
        good = {"conversion_id": "b-0", "kind": "click", "occurred_at": NOV_10}
        response = await writer.post(
            "/v1/conversions:batch",
            json={
                "conversions": [
                    good,
                    {"kind": "conversion", "occurred_at": NOV_10, "value": "3"},
                    {"kind": "click"},
                ]
            },
        )
        assert_problem(response, 422, "validation_failed", {"/conversions/2/occurred_at"})

        response = await writer.post(
            "/v1/conversions:batch",
            json={
                "conversions": [good, {"kind": "conversion", "occurred_at": NOV_10, "value": "3"}]
            },
        )
        assert_problem(response, 422, "invalid_conversion", {"/conversions/1/currency"})

        # Nothing of the refused batch was stored: the good item is new now.
        response = await writer.post("/v1/conversions", json=good)
        assert response.status_code == 201

    async def test_a_batch_with_a_reused_id_stores_none_of_its_items(self, writer):
        await writer.post(
            "/v1/conversions",
            json={"conversion_id": "used", "kind": "click", "occurred_at": NOV_10},
        )
        fresh = {"conversion_id": "fresh", "kind": "click", "occurred_at": NOV_10}
        reused = {"conversion_id": "used", "kind": "click", "occurred_at": DEC_5}

        response = await writer.post("/v1/conversions:batch", json={"conversions": [fresh, reused]})

        assert_problem(response, 422, "conversion_id_reused", {"/conversions/1/conversion_id"})
        assert (await writer.post("/v1/conversions", json=fresh)).status_code == 201

    async def test_a_batch_holds_at_most_1000_items(self, writer):
        item = {"kind": "click", "occurred_at": NOV_10}
        response = await writer.post("/v1/conversions:batch", json={"conversions": [item] * 1001})
        assert_problem(response, 422, "validation_failed", {"/conversions"})

    async def test_a_retried_batch_replays_item_by_item(self, writer):
        batch = {
            "conversions": [
                {"kind": "click", "occurred_at": NOV_10, "utm_campaign": "x"},
                {"kind": "click", "occurred_at": NOV_10},
            ]
        }
        headers = {"Idempotency-Key": "batch-1"}
        first = await writer.post("/v1/conversions:batch", json=batch, headers=headers)
        again = await writer.post("/v1/conversions:batch", json=batch, headers=headers)

        assert (first.json()["created"], first.json()["replayed"]) == (2, 0)
        assert first.json()["unattributed"] == 2
        assert [i["reason"] for i in first.json()["items"]] == [
            "unknown_campaign",
            "no_utm_campaign",
        ]
        assert (again.json()["created"], again.json()["replayed"]) == (0, 2)
        assert [i["id"] for i in again.json()["items"]] == [i["id"] for i in first.json()["items"]]
        assert again.headers["Idempotent-Replayed"] == "true"
        assert "Idempotent-Replayed" not in first.headers

    async def test_a_key_reused_for_another_request_is_a_422_and_stores_nothing(self, writer):
        headers = {"Idempotency-Key": "k-2"}
        sent = {"kind": "click", "occurred_at": NOV_10, "conversion_id": "first"}
        other = {"kind": "click", "occurred_at": NOV_10, "conversion_id": "second"}
        await writer.post("/v1/conversions", json=sent, headers=headers)

        single = await writer.post("/v1/conversions", json=other, headers=headers)
        batch = await writer.post(
            "/v1/conversions:batch", json={"conversions": [sent]}, headers=headers
        )

        assert_problem(single, 422, "idempotency_key_reused", set())
        assert_problem(batch, 422, "idempotency_key_reused", set())
        assert (await writer.post("/v1/conversions", json=other)).status_code == 201

    async def test_ids_are_per_tenant(self, writer, app_for, unique):
        sent = {"conversion_id": "shared-id", "kind": "click", "occurred_at": NOV_10}
        mine = await writer.post("/v1/conversions", json=sent)
        async with app_for(unique("other"), ("analytics:write",)) as other:
            theirs = await other.post("/v1/conversions", json=sent)

        assert (mine.status_code, theirs.status_code) == (201, 201)
        assert mine.json()["id"] != theirs.json()["id"]


class TestCampaignReport:
    async def test_every_campaign_newest_first_with_its_returns(self, reader, world):
        response = await reader.get("/v1/roi/campaigns")

        assert response.status_code == 200
        items = response.json()["items"]
        assert [i["campaign"]["name"] for i in items] == ["Free", "Winter", "Spring"]
        free, winter, spring = items
        assert (spring["clicks"], spring["conversions"], spring["conversion_rate"]) == (
            10,
            5,
            "0.5000",
        )
        assert spring["publications"] == 3
        assert money(spring["currencies"]) == {
            "EUR": ("1000.00", "1700.00", "0.7000", "200.00"),
            "USD": (None, "100.00", None, None),
        }
        assert spring["campaign"]["cost_amount"] == "1000.00"
        assert money(winter["currencies"]) == {"USD": ("500.00", "200.00", "-0.6000", "500.00")}
        assert (free["clicks"], free["conversions"], free["currencies"]) == (0, 0, [])
        assert free["conversion_rate"] is None

    async def test_a_period_narrows_the_conversions_and_the_campaigns(self, reader, world):
        response = await reader.get(
            "/v1/roi/campaigns", params={"from": "2025-11-01", "to": "2025-11-30"}
        )

        items = response.json()["items"]
        assert [i["campaign"]["name"] for i in items] == ["Free", "Spring"]
        spring = items[1]
        assert (spring["clicks"], spring["conversions"]) == (10, 4)
        assert money(spring["currencies"])["EUR"] == ("1000.00", "1200.00", "0.2000", "250.00")

    async def test_a_campaign_converting_after_its_end_is_in_that_period(self, reader, world):
        response = await reader.get(
            "/v1/roi/campaigns", params={"from": "2025-12-05", "to": "2025-12-05"}
        )

        names = [i["campaign"]["name"] for i in response.json()["items"]]
        assert names == ["Free", "Winter", "Spring"]

    async def test_a_brand_filter_keeps_that_brand(self, reader, world):
        response = await reader.get("/v1/roi/campaigns", params={"brand_id": "brand-b"})

        assert [i["campaign"]["name"] for i in response.json()["items"]] == ["Winter"]

    async def test_pages_follow_the_cursor(self, reader, world):
        first = await reader.get("/v1/roi/campaigns", params={"limit": 2})
        cursor = first.json()["next_cursor"]
        second = await reader.get("/v1/roi/campaigns", params={"limit": 2, "cursor": cursor})

        assert [i["campaign"]["name"] for i in first.json()["items"]] == ["Free", "Winter"]
        assert [i["campaign"]["name"] for i in second.json()["items"]] == ["Spring"]
        assert second.json()["next_cursor"] is None


class TestCampaignBreakdown:
    async def test_networks_and_posts_get_their_share_of_the_cost(self, reader, world):
        response = await reader.get(f"/v1/roi/campaigns/{world.spring}")

        assert response.status_code == 200
        body = response.json()
        assert (body["campaign"]["id"], body["clicks"], body["conversions"]) == (
            str(world.spring),
            10,
            5,
        )
        networks = {n["network"]: n for n in body["networks"]}
        assert list(networks) == ["facebook", "x"]
        assert (networks["facebook"]["publications"], networks["facebook"]["clicks"]) == (1, 4)
        assert money(networks["facebook"]["currencies"]) == {
            "EUR": ("333.33", "600.00", "0.8000", "333.33")
        }
        assert (networks["x"]["publications"], networks["x"]["conversions"]) == (2, 4)
        assert money(networks["x"]["currencies"]) == {
            "EUR": ("666.67", "1100.00", "0.6500", "166.67"),
            "USD": (None, "100.00", None, None),
        }
        posts = body["posts"]
        assert [p["post_id"] for p in posts] == [str(world.p1), str(world.p2)]
        assert [(p["publications"], p["clicks"], p["conversions"]) for p in posts] == [
            (2, 8, 4),
            (1, 2, 1),
        ]
        assert money(posts[0]["currencies"])["EUR"] == ("666.67", "1700.00", "1.5500", "166.67")
        assert money(posts[1]["currencies"]) == {
            "EUR": ("333.33", "0.00", "-1.0000", "333.33"),
            "USD": (None, "100.00", None, None),
        }

    async def test_a_period_narrows_the_breakdown(self, reader, world):
        response = await reader.get(
            f"/v1/roi/campaigns/{world.spring}", params={"from": "2025-12-01"}
        )

        body = response.json()
        assert (body["clicks"], body["conversions"]) == (0, 1)
        networks = {n["network"]: n for n in body["networks"]}
        # Facebook converted nothing in December but keeps its publication and cost share.
        assert (networks["facebook"]["conversions"], networks["x"]["conversions"]) == (0, 1)
        assert money(networks["facebook"]["currencies"])["EUR"][:2] == ("333.33", "0.00")

    async def test_conversions_without_a_known_network_or_post_come_last(self, reader, world):
        response = await reader.get(f"/v1/roi/campaigns/{world.winter}")

        body = response.json()
        assert [(n["network"], n["conversions"]) for n in body["networks"]] == [(None, 1)]
        assert [(p["post_id"], p["conversions"]) for p in body["posts"]] == [(None, 1)]
        # No publication to share the cost by: the campaign row has it, networks do not.
        assert money(body["networks"][0]["currencies"]) == {"USD": (None, "200.00", None, None)}
        assert money(body["currencies"])["USD"][0] == "500.00"

    async def test_an_unknown_campaign_is_a_404_problem(self, reader):
        response = await reader.get(f"/v1/roi/campaigns/{uuid.uuid4()}")
        assert_problem(response, 404, "campaign_not_found", set())

    async def test_a_malformed_id_is_a_422_problem(self, reader):
        response = await reader.get("/v1/roi/campaigns/not-a-uuid")
        assert_problem(response, 422, "validation_failed", {"/path/campaign_id"})


class TestNetworkReport:
    async def test_returns_per_network_over_every_campaign(self, reader, world):
        response = await reader.get("/v1/roi/networks")

        assert response.status_code == 200
        body = response.json()
        networks = {n["network"]: n for n in body["networks"]}
        assert list(networks) == ["facebook", "x", None]
        assert money(networks["facebook"]["currencies"]) == {
            "EUR": ("333.33", "600.00", "0.8000", "333.33")
        }
        assert money(networks["x"]["currencies"])["EUR"] == (
            "666.67",
            "1100.00",
            "0.6500",
            "166.67",
        )
        assert (networks[None]["conversions"], networks[None]["publications"]) == (1, 0)
        assert money(networks[None]["currencies"]) == {"USD": (None, "200.00", None, None)}
        # Winter has no publication: its cost goes to no network but is not lost.
        assert body["unallocated_cost"] == [{"currency": "USD", "amount": "500.00"}]

    async def test_a_brand_and_a_period_narrow_it(self, reader, world):
        response = await reader.get(
            "/v1/roi/networks",
            params={"brand_id": "brand-a", "from": "2025-11-01", "to": "2025-11-30"},
        )

        body = response.json()
        networks = {n["network"]: n for n in body["networks"]}
        assert list(networks) == ["facebook", "x"]
        assert (networks["x"]["clicks"], networks["x"]["conversions"]) == (6, 3)
        assert money(networks["x"]["currencies"])["EUR"][:2] == ("666.67", "600.00")
        assert body["unallocated_cost"] == []


class TestBrands:
    async def test_an_unregistered_brand_is_refused(self, reader, world):
        for path in ("/v1/roi/campaigns", "/v1/roi/networks"):
            response = await reader.get(path, params={"brand_id": "brand-q"})
            assert response.status_code == 422, path
            assert response.json()["code"] == "unknown_brand"

    async def test_a_key_limited_to_a_brand_sees_only_its_campaigns(self, world, app_for):
        async with app_for(world.tenant_id, ("analytics:read",), ("brand-b",)) as limited:
            listed = await limited.get("/v1/roi/campaigns")
            spring = await limited.get(f"/v1/roi/campaigns/{world.spring}")
            winter = await limited.get(f"/v1/roi/campaigns/{world.winter}")
            networks = await limited.get("/v1/roi/networks")
            named = await limited.get("/v1/roi/networks", params={"brand_id": "brand-a"})

        assert [i["campaign"]["name"] for i in listed.json()["items"]] == ["Winter"]
        assert spring.status_code == 404
        assert winter.status_code == 200
        body = networks.json()
        assert [n["network"] for n in body["networks"]] == [None]
        assert body["unallocated_cost"] == [{"currency": "USD", "amount": "500.00"}]
        assert named.status_code == 403
        assert named.json()["code"] == "brand_not_allowed"

    async def test_conversions_are_recorded_by_keys_of_the_whole_organization(self, world, app_for):
        async with app_for(world.tenant_id, ("analytics:write",), ("brand-a",)) as limited:
            response = await limited.post(
                "/v1/conversions",
                json={"kind": "click", "occurred_at": NOV_10, "utm_campaign": "spring"},
            )
        assert response.status_code == 403


class TestLateCampaign:
    async def test_conversions_before_their_campaign_show_in_its_report_once_it_arrives(
        self, writer, app_for, engine
    ):
        sent = {
            "conversion_id": "early-1",
            "kind": "conversion",
            "occurred_at": NOV_10,
            "value": "80",
            "currency": "EUR",
            "utm_source": "bluesky",
            "utm_campaign": "late",
        }
        early = await writer.post("/v1/conversions", json=sent)
        assert early.json()["reason"] == "unknown_campaign"

        campaign_id = uuid.uuid4()
        async with create_sessionmaker(engine)() as s, s.begin():
            await campaigns.apply_changes(
                s,
                [
                    changed(
                        writer.tenant,
                        campaign_id,
                        name="Late",
                        utm_campaign="late",
                        cost_amount="40",
                        currency="EUR",
                        changed_at="2025-11-12T00:00:00Z",
                    )
                ],
            )

        again = await writer.post("/v1/conversions", json=sent)
        assert (again.status_code, again.json()["attributed"]) == (200, True)
        async with app_for(writer.tenant, ("analytics:read",)) as reader:
            report = await reader.get(f"/v1/roi/campaigns/{campaign_id}")
        assert report.json()["conversions"] == 1
        assert money(report.json()["currencies"]) == {"EUR": ("40.00", "80.00", "1.0000", "40.00")}


class TestValidation:
    async def test_a_period_ending_before_it_starts_is_refused(self, reader):
        response = await reader.get(
            "/v1/roi/networks", params={"from": "2025-11-30", "to": "2025-11-01"}
        )
        assert_problem(response, 422, "invalid_period", {"/query/to"})
        assert response.json()["errors"][0]["type"] == "period_empty"

    async def test_malformed_query_values_are_refused(self, reader):
        response = await reader.get(
            "/v1/roi/campaigns", params={"from": "yesterday", "limit": "0", "cursor": "zz"}
        )
        assert_problem(response, 422, "validation_failed", {"/query/from", "/query/limit"})

    async def test_a_cursor_not_from_this_endpoint_is_refused(self, reader):
        response = await reader.get("/v1/roi/campaigns", params={"cursor": "zz"})
        assert_problem(response, 400, "invalid_cursor", {"/cursor"})


class TestAccess:
    async def test_another_tenant_sees_nothing_of_it(self, world, app_for, unique):
        async with app_for(unique("other"), ("analytics:read",)) as other:
            listed = await other.get("/v1/roi/campaigns")
            networks = await other.get("/v1/roi/networks")
            one = await other.get(f"/v1/roi/campaigns/{world.spring}")

        assert listed.json() == {"items": [], "next_cursor": None}
        assert networks.json() == {"networks": [], "unallocated_cost": []}
        assert one.status_code == 404

    @pytest.mark.parametrize(
        ("method", "path"),
        [
            ("POST", "/v1/conversions"),
            ("POST", "/v1/conversions:batch"),
            ("GET", "/v1/roi/campaigns"),
            ("GET", "/v1/roi/networks"),
        ],
    )
    async def test_a_request_without_a_key_is_a_401_problem(
        self, settings_for, api_client, method, path
    ):
        async with api_client(create_app(settings_for(Settings))) as anonymous:
            response = await anonymous.request(method, path, json={})
        assert_problem(response, 401, "unauthorized", set())

    async def test_reading_does_not_allow_recording(self, app_for, unique):
        async with app_for(unique("t"), ("analytics:read",)) as http:
            response = await http.post(
                "/v1/conversions", json={"kind": "click", "occurred_at": NOV_10}
            )
        assert_problem(response, 403, "forbidden", set())

    async def test_recording_does_not_allow_reading(self, writer):
        response = await writer.get("/v1/roi/networks")
        assert_problem(response, 403, "forbidden", set())
