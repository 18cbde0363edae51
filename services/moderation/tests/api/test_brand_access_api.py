"""Brands as the unit of access: an unknown brand is a 422, and a credential limited to some brands
sees and changes nothing of the others."""

from __future__ import annotations

import pytest

from beacon_shared.auth.brands import delete_brand
from beacon_shared.contracts.moderation import ModerationAction
from beacon_shared.db import create_sessionmaker
from moderation.config import Settings
from moderation.main import create_app
from moderation.rules import Verdict

pytestmark = pytest.mark.integration

FLAG = Verdict(ModerationAction.flag, "brand.toxic", reasons=["toxic"])
READ_WRITE = ("moderation:read", "moderation:write")
# Every route that takes a brand id, in its path, its body or its filter.
NAMING_A_BRAND = [
    ("GET", "/v1/brands/{brand}/rule-sets", {}),
    ("POST", "/v1/brands/{brand}/rule-sets", {"json": {"rules": []}}),
    ("GET", "/v1/brands/{brand}/rule-sets/0", {}),
    ("PATCH", "/v1/brands/{brand}/rule-sets/1", {"json": {"note": "x"}}),
    ("POST", "/v1/brands/{brand}/rule-sets/1/activate", {}),
    ("POST", "/v1/brands/{brand}/rule-sets/dry-run", {"json": {"rules": []}}),
    ("POST", "/v1/brands/{brand}/rule-sets/0/dry-run", {}),
    ("GET", "/v1/brands/{brand}/moderation-mode", {}),
    ("GET", "/v1/brands/{brand}/model", {}),
    (
        "POST",
        "/v1/brands/{brand}/labels/import",
        {"content": b"text,label\nx,1\n", "headers": {"Content-Type": "text/csv"}},
    ),
    ("POST", "/v1/saved-replies", {"json": {"name": "hi", "body": "Hi!", "brand_id": "{brand}"}}),
    ("GET", "/v1/saved-replies", {"params": {"brand_id": "{brand}"}}),
    ("GET", "/v1/review-items", {"params": {"brand_id": "{brand}"}}),
    ("GET", "/v1/decisions", {"params": {"brand_id": "{brand}"}}),
    ("GET", "/v1/audit", {"params": {"brand_id": "{brand}"}}),
]
IDS = [f"{method} {path} {sorted(kw)}" for method, path, kw in NAMING_A_BRAND]


def naming(brand: str, path: str, kwargs: dict) -> tuple[str, dict]:
    """The path and request arguments with `brand` in them."""

    def fill(value):
        if isinstance(value, dict):
            return {k: fill(v) for k, v in value.items()}
        return value.format(brand=brand) if isinstance(value, str) else value

    return path.format(brand=brand), {k: fill(v) for k, v in kwargs.items()}


@pytest.fixture
async def tenant(unique, register_brands):
    tenant = unique("tenant")
    await register_brands(tenant, "brand-1", "brand-2")
    return tenant


@pytest.fixture
def client_of(settings_for, api_client):
    """`client_of(key)`: a client calling with that key (or personal token)."""

    def build(key: str):
        return api_client(create_app(settings_for(Settings)), key=key)

    return build


@pytest.fixture
async def everything(tenant, issue_api_key, client_of):
    key = await issue_api_key(tenant, scopes=READ_WRITE)
    async with client_of(key.key) as http:
        yield http


@pytest.fixture
async def brand_1_only(tenant, issue_api_key, client_of):
    """A key limited to brand-1."""
    key = await issue_api_key(tenant, scopes=READ_WRITE, brand_ids=("brand-1",))
    async with client_of(key.key) as http:
        yield http


@pytest.mark.parametrize(("method", "path", "kwargs"), NAMING_A_BRAND, ids=IDS)
async def test_an_unregistered_brand_is_a_422(everything, brand_1_only, method, path, kwargs):
    for http in (everything, brand_1_only):
        url, arguments = naming("never-registered", path, kwargs)
        response = await http.request(method, url, **arguments)
        assert response.status_code == 422, response.text
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["code"] == "unknown_brand"
        assert "never-registered" in response.json()["detail"]


async def test_a_deleted_brand_is_unknown(everything, tenant, engine):
    async with create_sessionmaker(engine)() as session, session.begin():
        await delete_brand(session, tenant_id=tenant, brand_id="brand-2")
    # The brand directory caches answers for a few seconds: this process never asked before.
    response = await everything.get("/v1/brands/brand-2/rule-sets")
    assert response.status_code == 422
    assert response.json()["code"] == "unknown_brand"


@pytest.mark.parametrize(("method", "path", "kwargs"), NAMING_A_BRAND, ids=IDS)
async def test_another_brand_named_by_a_limited_key_is_a_403(brand_1_only, method, path, kwargs):
    url, arguments = naming("brand-2", path, kwargs)
    response = await brand_1_only.request(method, url, **arguments)
    assert response.status_code == 403, response.text
    assert response.json()["code"] == "brand_not_allowed"


async def test_a_limited_key_s_lists_hold_its_brands_only(
    everything, brand_1_only, moderate, tenant
):
    ours = await moderate(tenant, FLAG, brand_id="brand-1")
    await moderate(tenant, FLAG, brand_id="brand-2")
    await moderate(tenant, FLAG, brand_id=None)
    for body in (
        {"name": "ours", "body": "Hi", "brand_id": "brand-1"},
        {"name": "theirs", "body": "Hi", "brand_id": "brand-2"},
        {"name": "everyone's", "body": "Hi"},
    ):
        assert (await everything.post("/v1/saved-replies", json=body)).status_code == 201

    queue = (await brand_1_only.get("/v1/review-items")).json()["items"]
    assert [i["interaction_id"] for i in queue] == [str(ours.interaction_id)]
    decisions = (await brand_1_only.get("/v1/decisions")).json()["items"]
    assert [d["interaction_id"] for d in decisions] == [str(ours.interaction_id)]
    audit = (await brand_1_only.get("/v1/audit")).json()["items"]
    assert {e["brand_id"] for e in audit} == {"brand-1"}
    replies = (await brand_1_only.get("/v1/saved-replies")).json()["items"]
    # The organization's replies are every brand's to use.
    assert sorted(r["name"] for r in replies) == ["everyone's", "ours"]

    assert len((await everything.get("/v1/review-items")).json()["items"]) == 3
    assert len((await everything.get("/v1/decisions")).json()["items"]) == 3


async def test_another_brand_s_single_resources_are_not_found(
    everything, brand_1_only, moderate, tenant
):
    theirs = await moderate(tenant, FLAG, brand_id="brand-2")
    brandless = await moderate(tenant, FLAG, brand_id=None)
    reply = (
        await everything.post(
            "/v1/saved-replies", json={"name": "theirs", "body": "Hi", "brand_id": "brand-2"}
        )
    ).json()
    items = {
        i["interaction_id"]: i for i in (await everything.get("/v1/review-items")).json()["items"]
    }

    for received in (theirs, brandless):
        item = items[str(received.interaction_id)]
        attempts = [
            ("GET", f"/v1/comments/{received.interaction_id}", None),
            ("POST", f"/v1/comments/{received.interaction_id}/actions", {"action": "hide"}),
            ("GET", f"/v1/decisions/{item['decision_id']}", None),
            ("GET", f"/v1/review-items/{item['id']}", None),
            ("POST", f"/v1/review-items/{item['id']}/claim", None),
            ("POST", f"/v1/review-items/{item['id']}/release", None),
            ("POST", f"/v1/review-items/{item['id']}/resolve", {"resolution": "hide"}),
        ]
        for method, url, body in attempts:
            response = await brand_1_only.request(method, url, json=body)
            assert response.status_code == 404, (method, url, response.text)
    for method in ("GET", "PATCH", "DELETE"):
        response = await brand_1_only.request(
            method, f"/v1/saved-replies/{reply['id']}", json={"name": "mine now"}
        )
        assert response.status_code == 404, method

    after = {
        i["interaction_id"]: i for i in (await everything.get("/v1/review-items")).json()["items"]
    }
    assert after == items
    assert (await everything.get(f"/v1/saved-replies/{reply['id']}")).json()["name"] == "theirs"


async def test_a_limited_key_leaves_the_organization_s_replies_as_they_are(
    everything, brand_1_only
):
    shared = (await everything.post("/v1/saved-replies", json={"name": "all", "body": "Hi"})).json()
    assert (await brand_1_only.get(f"/v1/saved-replies/{shared['id']}")).status_code == 200
    for method, url, body in (
        ("POST", "/v1/saved-replies", {"name": "mine", "body": "Hi"}),
        ("PATCH", f"/v1/saved-replies/{shared['id']}", {"body": "Bye"}),
        ("DELETE", f"/v1/saved-replies/{shared['id']}", None),
    ):
        response = await brand_1_only.request(method, url, json=body)
        assert response.status_code == 403, (method, url)
        assert response.json()["code"] == "brand_not_allowed"
    assert (await everything.get(f"/v1/saved-replies/{shared['id']}")).json()["body"] == "Hi"


async def test_a_limited_key_works_on_its_own_brand(brand_1_only, moderate, tenant):
    await moderate(tenant, FLAG, brand_id="brand-1")
    (item,) = (await brand_1_only.get("/v1/review-items")).json()["items"]
    resolved = await brand_1_only.post(
        f"/v1/review-items/{item['id']}/resolve", json={"resolution": "approve"}
    )
    assert resolved.status_code == 200
    created = await brand_1_only.post("/v1/brands/brand-1/rule-sets", json={"rules": []})
    assert created.status_code == 201
    reply = await brand_1_only.post(
        "/v1/saved-replies", json={"name": "ours", "body": "Hi", "brand_id": "brand-1"}
    )
    assert reply.status_code == 201


async def test_a_member_who_only_reads_a_brand_changes_nothing_there(
    member, client_of, moderate, tenant
):
    """An analyst of brand-1 and an agent of brand-2: brand-1's items are visible, not theirs to
    decide."""
    nina = await member(tenant, "agent", {"brand-1": "analyst", "brand-2": "agent"})
    read_only = await moderate(tenant, FLAG, brand_id="brand-1")
    moderated = await moderate(tenant, FLAG, brand_id="brand-2")
    async with client_of(nina.key) as http:
        items = {
            i["interaction_id"]: i for i in (await http.get("/v1/review-items")).json()["items"]
        }
        assert set(items) == {str(read_only.interaction_id), str(moderated.interaction_id)}
        seen = items[str(read_only.interaction_id)]
        for method, url, body in (
            ("POST", f"/v1/review-items/{seen['id']}/claim", None),
            ("POST", f"/v1/review-items/{seen['id']}/resolve", {"resolution": "hide"}),
            ("POST", f"/v1/comments/{read_only.interaction_id}/actions", {"action": "hide"}),
            ("POST", "/v1/brands/brand-1/rule-sets", {"rules": []}),
        ):
            response = await http.request(method, url, json=body)
            assert response.status_code == 403, (method, url, response.text)
            assert response.json()["code"] == "brand_not_allowed"
        assert (await http.get("/v1/brands/brand-1/rule-sets")).status_code == 200

        mine = items[str(moderated.interaction_id)]
        claimed = await http.post(f"/v1/review-items/{mine['id']}/claim")
        assert (claimed.status_code, claimed.json()["assignee"]) == (200, str(nina.user_id))
        resolved = await http.post(
            f"/v1/review-items/{mine['id']}/resolve", json={"resolution": "hide"}
        )
        assert (resolved.status_code, resolved.json()["resolved_by"]) == (200, nina.actor)
        assert (await http.get(f"/v1/review-items/{seen['id']}")).json()["status"] == "open"
