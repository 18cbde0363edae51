"""The campaigns API: creating, reading, listing, changing, archiving, bad input and tenancy."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from publisher.config import Settings
from publisher.main import create_app

pytestmark = pytest.mark.integration
T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def at(**delta: float) -> str:
    return (T0 + timedelta(**delta)).isoformat()


def body(**overrides: object) -> dict[str, object]:
    values: dict[str, object] = {
        "name": "Spring Fair 2026",
        "kind": "event",
        "brand_id": "brand-1",
        "description": "Three days of workshops.",
        "starts_at": at(),
        "ends_at": at(days=3),
        "cost_amount": "1500",
        "currency": "EUR",
    }
    values.update(overrides)
    return values


@pytest.fixture
async def client(settings_for, api_client, issue_api_key, register_brands, unique):
    tenant = unique("tenant")
    await register_brands(tenant, "brand-1", "brand-2")
    key = await issue_api_key(tenant, scopes=("posts:write", "posts:read"))
    async with api_client(create_app(settings_for(Settings)), key=key.key) as http:
        yield http


@pytest.fixture
async def other_tenant(settings_for, api_client, issue_api_key, register_brands, unique):
    tenant = unique("other")
    await register_brands(tenant, "brand-1", "brand-2")
    key = await issue_api_key(tenant, scopes=("posts:write", "posts:read"))
    async with api_client(create_app(settings_for(Settings)), key=key.key) as http:
        yield http


async def test_a_campaign_is_created_with_its_utm_defaults_and_reads_back(client):
    response = await client.post("/v1/campaigns", json=body())

    assert response.status_code == 201
    created = response.json()
    assert created["name"] == "Spring Fair 2026"
    assert created["kind"] == "event"
    assert created["utm_campaign"] == "spring-fair-2026"
    assert created["utm_medium"] == "social"
    assert created["cost_amount"] == "1500.00"
    assert created["currency"] == "EUR"
    assert created["archived_at"] is None
    assert datetime.fromisoformat(created["ends_at"]) == T0 + timedelta(days=3)
    read = await client.get(f"/v1/campaigns/{created['id']}")
    assert read.status_code == 200
    assert read.json() == created


async def test_only_a_name_is_needed(client):
    response = await client.post("/v1/campaigns", json={"name": "Summer"})

    assert response.status_code == 201
    assert {
        k: response.json()[k] for k in ("kind", "utm_campaign", "starts_at", "cost_amount")
    } == {
        "kind": "other",
        "utm_campaign": "summer",
        "starts_at": None,
        "cost_amount": None,
    }


async def test_an_unknown_campaign_is_a_404_problem(client):
    response = await client.get(f"/v1/campaigns/{uuid.uuid4()}")

    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "campaign_not_found"


async def test_a_duplicate_utm_campaign_is_a_409_problem(client, other_tenant):
    first = await client.post("/v1/campaigns", json=body(utm_campaign="fair"))
    again = await client.post("/v1/campaigns", json=body(name="Fair again", utm_campaign="fair"))
    elsewhere = await other_tenant.post("/v1/campaigns", json=body(utm_campaign="fair"))

    assert (first.status_code, again.status_code, elsewhere.status_code) == (201, 409, 201)
    problem = again.json()
    assert problem["code"] == "utm_campaign_taken"
    assert problem["errors"][0]["pointer"] == "/utm_campaign"


class TestBadInput:
    @pytest.mark.parametrize(
        ("overrides", "pointer"),
        [
            ({"cost_amount": "-1"}, "/cost_amount"),
            ({"cost_amount": "10.001"}, "/cost_amount"),
            ({"cost_amount": "1e20"}, "/cost_amount"),
            ({"cost_amount": "NaN"}, "/cost_amount"),
            ({"currency": "XYZ"}, "/currency"),
            ({"currency": "EURO"}, "/currency"),
            ({"currency": "XAU"}, "/currency"),
            ({"name": "   "}, "/name"),
            ({"kind": "webinar"}, "/kind"),
            ({"starts_at": "2026-12-01T09:00:00"}, "/starts_at"),
            ({"utm_campaign": "spring sale"}, "/utm_campaign"),
            ({"utm_campaign": "spring."}, "/utm_campaign"),
            ({"utm_medium": ""}, "/utm_medium"),
            ({"budget": 10}, "/budget"),
        ],
    )
    async def test_a_bad_field_is_a_422_problem_pointing_at_it(self, client, overrides, pointer):
        response = await client.post("/v1/campaigns", json=body(**overrides))

        assert response.status_code == 422
        assert response.headers["content-type"] == "application/problem+json"
        assert [e["pointer"] for e in response.json()["errors"]] == [pointer]

    @pytest.mark.parametrize("ends_at", [at(), at(hours=-1)])
    async def test_an_end_not_after_the_start_is_a_422_problem(self, client, ends_at):
        response = await client.post("/v1/campaigns", json=body(ends_at=ends_at))

        problem = response.json()
        assert response.status_code == 422
        assert problem["code"] == "campaign_ends_before_start"
        assert problem["errors"][0]["pointer"] == "/ends_at"

    async def test_a_cost_without_currency_is_a_422_problem(self, client):
        response = await client.post("/v1/campaigns", json=body(currency=None))

        assert response.status_code == 422
        assert response.json()["code"] == "currency_required"
        assert response.json()["errors"][0]["pointer"] == "/currency"

    async def test_a_lowercase_currency_is_read_as_its_code(self, client):
        response = await client.post("/v1/campaigns", json=body(currency="usd"))
        assert response.json()["currency"] == "USD"

    async def test_a_malformed_id_is_a_422_problem(self, client):
        response = await client.get("/v1/campaigns/not-a-uuid")
        assert response.status_code == 422


class TestList:
    async def test_pages_walk_every_campaign_newest_first(self, client):
        ids = [
            (await client.post("/v1/campaigns", json=body(name=f"C{n}"))).json()["id"]
            for n in range(5)
        ]

        seen: list[str] = []
        cursor = None
        while True:
            params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
            page = (await client.get("/v1/campaigns", params=params)).json()
            assert len(page["items"]) <= 2
            seen += [c["id"] for c in page["items"]]
            cursor = page["next_cursor"]
            if cursor is None:
                break

        assert seen == list(reversed(ids))

    async def test_filters_by_brand_kind_time_and_archived(self, client):
        fair = (await client.post("/v1/campaigns", json=body(name="Fair"))).json()
        sale = (
            await client.post(
                "/v1/campaigns",
                json=body(name="Sale", kind="promotion", starts_at=at(days=10), ends_at=None),
            )
        ).json()
        other_brand = (
            await client.post("/v1/campaigns", json=body(name="Gala", brand_id="brand-2"))
        ).json()
        gone = (await client.post("/v1/campaigns", json=body(name="Gone"))).json()
        await client.post(f"/v1/campaigns/{gone['id']}/archive")

        async def names(**params: object) -> list[str]:
            response = await client.get("/v1/campaigns", params=params)
            assert response.status_code == 200
            return [c["name"] for c in response.json()["items"]]

        assert await names(brand_id="brand-1") == [sale["name"], fair["name"]]
        assert await names(kind="promotion") == [sale["name"]]
        assert await names(active_at=at(days=1)) == [other_brand["name"], fair["name"]]
        assert await names(active_at=at(days=30)) == [sale["name"]]
        assert await names(include_archived="true", active_at=at(days=1)) == [
            gone["name"],
            other_brand["name"],
            fair["name"],
        ]

    async def test_a_forged_cursor_is_a_400_and_a_naive_time_a_422_problem(self, client):
        forged = await client.get("/v1/campaigns", params={"cursor": "forged"})
        naive = await client.get("/v1/campaigns", params={"active_at": "2026-12-01T09:00:00"})

        assert (forged.status_code, naive.status_code) == (400, 422)
        assert forged.json()["code"] == "invalid_cursor"
        (error,) = naive.json()["errors"]
        assert (error["location"], error["pointer"].rsplit("/", 1)[-1]) == ("query", "active_at")


class TestUpdate:
    async def test_a_patch_changes_only_what_it_sends(self, client):
        created = (await client.post("/v1/campaigns", json=body())).json()

        response = await client.patch(
            f"/v1/campaigns/{created['id']}",
            json={"name": "Spring Fair (extended)", "ends_at": at(days=5), "description": None},
        )

        assert response.status_code == 200
        updated = response.json()
        assert updated["name"] == "Spring Fair (extended)"
        assert datetime.fromisoformat(updated["ends_at"]) == T0 + timedelta(days=5)
        assert updated["description"] is None
        unchanged = ("kind", "brand_id", "starts_at", "utm_campaign", "cost_amount", "currency")
        assert {k: updated[k] for k in unchanged} == {k: created[k] for k in unchanged}
        assert (await client.get(f"/v1/campaigns/{created['id']}")).json() == updated

    async def test_an_end_before_the_stored_start_is_a_422_problem(self, client):
        created = (await client.post("/v1/campaigns", json=body())).json()

        response = await client.patch(
            f"/v1/campaigns/{created['id']}", json={"ends_at": at(days=-1)}
        )

        assert response.status_code == 422
        assert response.json()["errors"][0]["pointer"] == "/ends_at"

    @pytest.mark.parametrize("field", ["name", "kind", "utm_campaign", "utm_medium"])
    async def test_a_required_field_cannot_be_cleared(self, client, field):
        created = (await client.post("/v1/campaigns", json=body())).json()

        response = await client.patch(f"/v1/campaigns/{created['id']}", json={field: None})

        assert response.status_code == 422
        assert response.json()["errors"][0]["pointer"] == f"/{field}"

    async def test_a_utm_campaign_another_campaign_has_is_a_409_problem(self, client):
        await client.post("/v1/campaigns", json=body(utm_campaign="taken"))
        created = (await client.post("/v1/campaigns", json=body(name="Mine"))).json()

        response = await client.patch(
            f"/v1/campaigns/{created['id']}", json={"utm_campaign": "taken"}
        )

        assert response.status_code == 409
        assert response.json()["code"] == "utm_campaign_taken"


class TestArchive:
    async def test_archiving_closes_the_campaign_once(self, client):
        created = (await client.post("/v1/campaigns", json=body())).json()

        archived = await client.post(f"/v1/campaigns/{created['id']}/archive")
        again = await client.post(f"/v1/campaigns/{created['id']}/archive")

        assert archived.status_code == 200
        assert archived.json()["archived_at"] is not None
        assert again.json() == archived.json()
        listed = (await client.get("/v1/campaigns")).json()["items"]
        assert created["id"] not in {c["id"] for c in listed}


class TestAuth:
    async def test_no_key_is_a_401_problem(self, settings_for, api_client):
        some = uuid.uuid4()
        async with api_client(create_app(settings_for(Settings))) as anonymous:
            responses = [
                await anonymous.post("/v1/campaigns", json=body()),
                await anonymous.get("/v1/campaigns"),
                await anonymous.get(f"/v1/campaigns/{some}"),
                await anonymous.patch(f"/v1/campaigns/{some}", json={"name": "x"}),
                await anonymous.post(f"/v1/campaigns/{some}/archive"),
            ]
        assert {r.status_code for r in responses} == {401}

    async def test_a_read_only_key_reads_but_cannot_write(
        self, client, settings_for, api_client, issue_api_key, register_brands, unique
    ):
        tenant = unique("t")
        await register_brands(tenant, "brand-1", "brand-2")
        reader_key = await issue_api_key(tenant, scopes=("posts:read",))
        async with api_client(create_app(settings_for(Settings)), key=reader_key.key) as reader:
            some = uuid.uuid4()
            listed = await reader.get("/v1/campaigns")
            writes = [
                await reader.post("/v1/campaigns", json=body()),
                await reader.patch(f"/v1/campaigns/{some}", json={"name": "x"}),
                await reader.post(f"/v1/campaigns/{some}/archive"),
            ]
        assert listed.status_code == 200
        assert {r.status_code for r in writes} == {403}

    async def test_another_tenants_campaign_is_invisible_and_unchangeable(
        self, client, other_tenant
    ):
        created = (await client.post("/v1/campaigns", json=body())).json()
        path = f"/v1/campaigns/{created['id']}"

        read = await other_tenant.get(path)
        patched = await other_tenant.patch(path, json={"name": "Hijacked"})
        archived = await other_tenant.post(f"{path}/archive")
        listed = (await other_tenant.get("/v1/campaigns")).json()["items"]

        assert (read.status_code, patched.status_code, archived.status_code) == (404, 404, 404)
        assert created["id"] not in {c["id"] for c in listed}
        assert (await client.get(path)).json() == created
