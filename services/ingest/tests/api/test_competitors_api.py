"""The tracked competitors API: CRUD, validation, paging, tenant isolation and scopes."""

from __future__ import annotations

import contextlib
import uuid

import pytest
from sqlalchemy import delete

from ingest.competitors.models import tracked_account
from ingest.config import Settings
from ingest.main import create_app

pytestmark = pytest.mark.integration


def mastodon(**overrides: object) -> dict[str, object]:
    body: dict[str, object] = {
        "brand_id": "brand-a",
        "network": "mastodon",
        "external_account_id": str(uuid.uuid4().int)[:18],
        "handle": "rival@rival.example",
        "label": "Rival Inc",
        "instance_url": "https://Rival.example/",
    }
    body.update(overrides)
    return body


def bluesky(**overrides: object) -> dict[str, object]:
    body: dict[str, object] = {
        "brand_id": "brand-a",
        "network": "bluesky",
        "external_account_id": f"did:plc:{uuid.uuid4().hex[:24]}",
        "handle": "rival.bsky.social",
    }
    body.update(overrides)
    return body


@pytest.fixture
def make_client(settings_for, api_client, issue_api_key, register_brands, unique, engine):
    """A client for a fresh tenant whose brands brand-a and brand-b are registered (or for
    `tenant`), its key limited to `brand_ids` when given: `async with make_client() as http`.

    A fresh tenant's competitors are removed afterwards, so no worker started by a later test
    polls them.
    """

    @contextlib.asynccontextmanager
    async def make(
        scopes: tuple[str, ...] = ("*",),
        tenant: str | None = None,
        brand_ids: tuple[str, ...] | None = None,
    ):
        fresh = tenant is None
        tenant = tenant or unique("tenant")
        await register_brands(tenant, "brand-a", "brand-b")
        issued = await issue_api_key(tenant, scopes=scopes, brand_ids=brand_ids)
        app = create_app(settings_for(Settings))
        try:
            async with api_client(app, key=issued.key) as http:
                http.tenant = tenant  # type: ignore[attr-defined]
                yield http
        finally:
            if fresh:
                async with engine.begin() as conn:
                    await conn.execute(
                        delete(tracked_account).where(tracked_account.c.tenant_id == tenant)
                    )

    return make


@pytest.fixture
async def client(make_client):
    async with make_client() as http:
        yield http


async def test_a_competitor_is_tracked_and_read_back(client):
    created = await client.post("/v1/competitors", json=mastodon())
    fetched = await client.get(f"/v1/competitors/{created.json()['id']}")

    assert created.status_code == 201
    body = created.json()
    assert body["instance_url"] == "https://rival.example"
    assert body["status"] == "active"
    assert body["label"] == "Rival Inc"
    assert body["metrics_polled_at"] is None
    assert body["metrics_error"] is None
    assert fetched.status_code == 200
    assert fetched.json() == body


async def test_a_bluesky_competitor_needs_no_instance(client):
    created = await client.post("/v1/competitors", json=bluesky())
    assert created.status_code == 201
    assert created.json()["instance_url"] is None


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (mastodon(instance_url=None), "instance_url"),
        (mastodon(instance_url="http://rival.example"), "scheme must be https"),
        (mastodon(instance_url="https://localhost"), "local or metadata host name"),
        (mastodon(instance_url="https://10.0.0.7"), "private address"),
        (mastodon(instance_url="https://[::1]"), "loopback address"),
        (mastodon(instance_url="https://metadata.internal"), "local or metadata host name"),
        (mastodon(instance_url="https://127.1"), "non-canonical IP address"),
        (mastodon(instance_url="https://10.1"), "non-canonical IP address"),
        (mastodon(instance_url="https://169.254.43518"), "non-canonical IP address"),
        (mastodon(instance_url="https://[::ffff:169.254.169.254]"), "metadata"),
        (mastodon(instance_url="https://rival.example/api"), "without a path"),
        (bluesky(external_account_id="rival.bsky.social"), "DID"),
        (bluesky(instance_url="https://bsky.example"), "AppView"),
        ({**bluesky(), "network": "facebook"}, "only mastodon and bluesky"),
    ],
)
async def test_accounts_that_cannot_be_polled_are_refused(client, body, message):
    response = await client.post("/v1/competitors", json=body)
    assert response.status_code == 422
    assert message in response.text


async def test_a_brand_tracks_an_account_once_but_another_brand_may_too(client):
    body = mastodon()
    first = await client.post("/v1/competitors", json=body)
    again = await client.post("/v1/competitors", json=body)
    other_brand = await client.post("/v1/competitors", json={**body, "brand_id": "brand-b"})

    assert first.status_code == 201
    assert again.status_code == 409
    assert again.json()["code"] == "competitor_already_tracked"
    assert other_brand.status_code == 201


async def test_the_list_filters_and_pages_newest_first(client):
    ids = []
    for body in (mastodon(), bluesky(), bluesky(), bluesky(brand_id="brand-b")):
        ids.append((await client.post("/v1/competitors", json=body)).json()["id"])

    first = await client.get(
        "/v1/competitors", params={"brand_id": "brand-a", "network": "bluesky", "limit": 1}
    )
    second = await client.get(
        "/v1/competitors",
        params={
            "brand_id": "brand-a",
            "network": "bluesky",
            "limit": 1,
            "cursor": first.json()["next_cursor"],
        },
    )
    everything = await client.get("/v1/competitors")

    assert [c["id"] for c in first.json()["items"]] == [ids[2]]
    assert [c["id"] for c in second.json()["items"]] == [ids[1]]
    assert second.json()["next_cursor"] is None
    assert [c["id"] for c in everything.json()["items"]] == list(reversed(ids))


async def test_a_competitor_is_changed_paused_and_untracked(client):
    created = (await client.post("/v1/competitors", json=mastodon())).json()
    url = f"/v1/competitors/{created['id']}"

    changed = await client.patch(
        url,
        json={"label": None, "status": "paused", "instance_url": "https://moved.example"},
    )
    removed = await client.delete(url)
    gone = await client.get(url)

    assert changed.status_code == 200
    assert changed.json()["label"] is None
    assert changed.json()["status"] == "paused"
    assert changed.json()["instance_url"] == "https://moved.example"
    assert changed.json()["updated_at"] > created["updated_at"]
    assert removed.status_code == 204
    assert gone.status_code == 404
    assert gone.json()["code"] == "competitor_not_found"


async def test_a_bluesky_competitor_has_no_instance_to_change(client):
    created = (await client.post("/v1/competitors", json=bluesky())).json()
    response = await client.patch(
        f"/v1/competitors/{created['id']}", json={"instance_url": "https://x.example"}
    )
    assert response.status_code == 422
    assert response.json()["code"] == "competitor_patch_invalid"


async def test_null_status_and_instance_are_refused(client):
    created = (await client.post("/v1/competitors", json=mastodon())).json()
    url = f"/v1/competitors/{created['id']}"
    assert (await client.patch(url, json={"status": None})).status_code == 422
    assert (await client.patch(url, json={"instance_url": None})).status_code == 422


async def test_other_tenants_competitors_are_invisible(client, make_client):
    created = (await client.post("/v1/competitors", json=mastodon())).json()
    async with make_client() as other:
        url = f"/v1/competitors/{created['id']}"
        assert (await other.get(url)).status_code == 404
        assert (await other.patch(url, json={"label": "x"})).status_code == 404
        assert (await other.delete(url)).status_code == 404
        assert (await other.get("/v1/competitors")).json()["items"] == []
    assert (await client.get(f"/v1/competitors/{created['id']}")).status_code == 200


async def test_reading_needs_interactions_read_and_writing_interactions_write(make_client):
    async with make_client(scopes=("interactions:read",)) as reader:
        assert (await reader.get("/v1/competitors")).status_code == 200
        assert (await reader.post("/v1/competitors", json=mastodon())).status_code == 403
    async with make_client(scopes=("analytics:read",)) as stranger:
        assert (await stranger.get("/v1/competitors")).status_code == 403


async def test_an_unregistered_brand_is_refused(client):
    tracked = await client.post("/v1/competitors", json=mastodon(brand_id="brand-z"))
    listed = await client.get("/v1/competitors", params={"brand_id": "brand-z"})
    for response in (tracked, listed):
        assert response.status_code == 422
        assert response.json()["code"] == "unknown_brand"


async def test_a_key_limited_to_a_brand_sees_and_changes_nothing_of_the_others(client, make_client):
    mine = (await client.post("/v1/competitors", json=bluesky())).json()
    theirs = (await client.post("/v1/competitors", json=bluesky(brand_id="brand-b"))).json()

    async with make_client(tenant=client.tenant, brand_ids=("brand-a",)) as limited:
        listed = (await limited.get("/v1/competitors")).json()["items"]
        hidden = [
            await limited.get(f"/v1/competitors/{theirs['id']}"),
            await limited.patch(f"/v1/competitors/{theirs['id']}", json={"label": "x"}),
            await limited.delete(f"/v1/competitors/{theirs['id']}"),
        ]
        forbidden = [
            await limited.get("/v1/competitors", params={"brand_id": "brand-b"}),
            await limited.post("/v1/competitors", json=bluesky(brand_id="brand-b")),
        ]
        relabelled = await limited.patch(f"/v1/competitors/{mine['id']}", json={"label": "Mine"})

    assert [item["id"] for item in listed] == [mine["id"]]
    assert [r.status_code for r in hidden] == [404, 404, 404]
    assert [(r.status_code, r.json()["code"]) for r in forbidden] == [
        (403, "brand_not_allowed")
    ] * 2
    assert relabelled.json()["label"] == "Mine"
    assert (await client.get(f"/v1/competitors/{theirs['id']}")).json()["label"] is None
