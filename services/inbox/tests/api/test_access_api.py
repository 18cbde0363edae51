"""Who sees and changes what: scopes, brands and organizations."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.integration


@pytest.fixture
async def filed(tenant, receive):
    """A conversation on each brand, and one of the whole organization."""
    await receive(tenant, "on brand 1", thread_external_id="p-1")
    await receive(tenant, "on brand 2", brand_id="brand-2", thread_external_id="p-2")
    await receive(tenant, "without a brand", brand_id=None, thread_external_id="p-0")


async def ids_by_preview(http, key, as_key):
    page = await http.get("/v1/conversations", headers=as_key(key))
    assert page.status_code == 200, page.text
    return {item["preview"]: item["id"] for item in page.json()["items"]}


async def test_a_member_limited_to_a_brand_sees_nothing_of_the_others(
    http, tenant, filed, member, as_key
):
    everyone = await member(tenant, "agent")
    limited = await member(tenant, "agent", brand_roles={"brand-1": "agent"})
    all_ids = await ids_by_preview(http, everyone.key, as_key)
    assert set(all_ids) == {"on brand 1", "on brand 2", "without a brand"}

    assert set(await ids_by_preview(http, limited.key, as_key)) == {"on brand 1"}
    counts = await http.get("/v1/conversations/counts", headers=as_key(limited.key))
    assert counts.json()["open"] == 1
    found = await http.get(
        "/v1/conversations/search", params={"q": "brand"}, headers=as_key(limited.key)
    )
    assert [hit["conversation"]["preview"] for hit in found.json()["items"]] == ["on brand 1"]
    for hidden in ("on brand 2", "without a brand"):
        url = f"/v1/conversations/{all_ids[hidden]}"
        assert (await http.get(url, headers=as_key(limited.key))).status_code == 404
        changed = await http.patch(url, json={"status": "resolved"}, headers=as_key(limited.key))
        assert changed.status_code == 404
        note = await http.post(f"{url}/notes", json={"text": "x"}, headers=as_key(limited.key))
        assert note.status_code == 404
    named = await http.get(
        "/v1/conversations", params={"brand_id": "brand-2"}, headers=as_key(limited.key)
    )
    assert (named.status_code, named.json()["code"]) == (403, "brand_not_allowed")


async def test_a_key_limited_to_a_brand_sees_only_it(http, tenant, filed, issue_api_key, as_key):
    key = await issue_api_key(tenant, scopes=("interactions:read",), brand_ids=("brand-2",))
    assert set(await ids_by_preview(http, key.key, as_key)) == {"on brand 2"}


async def test_a_member_who_may_read_but_not_answer_is_refused_changes(
    http, tenant, filed, member, as_key
):
    analyst = await member(tenant, "analyst")
    ids = await ids_by_preview(http, analyst.key, as_key)
    url = f"/v1/conversations/{ids['on brand 1']}"
    changed = await http.patch(url, json={"status": "resolved"}, headers=as_key(analyst.key))
    assert changed.status_code == 403
    note = await http.post(f"{url}/notes", json={"text": "x"}, headers=as_key(analyst.key))
    assert note.status_code == 403


async def test_another_organization_sees_nothing(http, tenant, filed, member, unique, as_key):
    ours = await ids_by_preview(http, (await member(tenant, "agent")).key, as_key)
    stranger = await member(unique("tenant"), "owner")
    assert await ids_by_preview(http, stranger.key, as_key) == {}
    url = f"/v1/conversations/{ours['on brand 1']}"
    assert (await http.get(url, headers=as_key(stranger.key))).status_code == 404


async def test_an_organization_key_has_no_conversations_of_its_own(
    http, tenant, filed, issue_api_key, as_key
):
    key = await issue_api_key(tenant, scopes=("interactions:read",))
    mine = await http.get("/v1/conversations", params={"assignee": "me"}, headers=as_key(key.key))
    assert (mine.status_code, mine.json()["code"]) == (403, "person_required")


async def test_a_key_without_the_scope_is_refused(http, tenant, filed, issue_api_key, as_key):
    key = await issue_api_key(tenant, scopes=("posts:read",))
    answer = await http.get("/v1/conversations", headers=as_key(key.key))
    assert answer.status_code == 403
    assert (await http.get("/v1/conversations")).status_code == 401


async def test_an_unknown_brand_is_a_422_problem(http, tenant, filed, member, as_key):
    ann = await member(tenant, "agent")
    answer = await http.get(
        "/v1/conversations", params={"brand_id": "nope"}, headers=as_key(ann.key)
    )
    assert (answer.status_code, answer.json()["code"]) == (422, "unknown_brand")
