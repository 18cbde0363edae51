"""Listing, searching and conversation views of interactions."""

from __future__ import annotations

import pytest

from ingest.config import Settings
from ingest.main import create_app

pytestmark = pytest.mark.integration


def item(external_id: str, **overrides: object) -> dict[str, object]:
    body: dict[str, object] = {
        "kind": "comment",
        "external_id": external_id,
        "thread_external_id": "post-1",
        "author": {"network_id": "u-1"},
        "text": "hello",
        "created_at": "2026-11-24T10:00:00Z",
    }
    body.update(overrides)
    return body


@pytest.fixture
async def client(settings_for, api_client, issue_api_key, register_brands, unique):
    tenant = unique("tenant")
    await register_brands(tenant, "acme", "other")
    key = await issue_api_key(tenant)
    async with api_client(create_app(settings_for(Settings)), key=key.key) as http:
        http.tenant = tenant  # type: ignore[attr-defined]
        yield http


@pytest.fixture
async def stranger(settings_for, api_client, issue_api_key, unique):
    key = await issue_api_key(unique("stranger"))
    async with api_client(create_app(settings_for(Settings)), key=key.key) as http:
        yield http


async def submit(client, *items: dict[str, object]) -> None:
    response = await client.post("/v1/interactions/batch", json={"items": list(items)})
    assert response.status_code == 202, response.text


async def external_ids(client, path: str = "/v1/interactions", **params: object) -> list[str]:
    response = await client.get(path, params=params)
    assert response.status_code == 200, response.text
    return [i["external_id"] for i in response.json()["items"]]


async def all_pages(client, path: str, **params: object) -> list[list[str]]:
    pages: list[list[str]] = []
    cursor = None
    while True:
        query = {**params, **({"cursor": cursor} if cursor else {})}
        body = (await client.get(path, params=query)).json()
        pages.append([i["external_id"] for i in body["items"]])
        cursor = body["next_cursor"]
        if cursor is None:
            return pages


async def test_pages_cover_every_interaction_exactly_once_newest_first(client):
    # One batch shares one received_at: the id alone must order and split the pages.
    await submit(client, *(item(f"a-{n}") for n in range(7)))
    await submit(client, *(item(f"b-{n}") for n in range(3)))

    pages = await all_pages(client, "/v1/interactions", limit=3)

    assert [len(p) for p in pages] == [3, 3, 3, 1]
    seen = [e for page in pages for e in page]
    assert sorted(seen) == sorted([f"a-{n}" for n in range(7)] + [f"b-{n}" for n in range(3)])
    assert set(seen[:3]) == {"b-0", "b-1", "b-2"}


async def test_filters_narrow_the_list(client):
    await submit(
        client,
        item("fb", network="facebook", brand_id="acme", account_id="acc-1"),
        item("x", network="x", brand_id="acme", account_id="acc-2", kind="mention"),
        item("dm", brand_id="other", kind="direct_message", created_at="2026-11-20T00:00:00Z"),
        item("like", kind="reaction", created_at="2026-11-25T00:00:00Z"),
    )

    assert set(await external_ids(client, brand_id="acme")) == {"fb", "x"}
    assert await external_ids(client, account_id="acc-2") == ["x"]
    assert await external_ids(client, network="facebook") == ["fb"]
    assert set(await external_ids(client, kind=["mention", "direct_message"])) == {"x", "dm"}
    assert set(await external_ids(client, since="2026-11-24T10:00:00Z")) == {"fb", "x", "like"}
    assert await external_ids(client, until="2026-11-24T10:00:00Z") == ["dm"]
    assert await external_ids(
        client, since="2026-11-21T00:00:00Z", until="2026-11-24T10:00:00.000001Z", network="x"
    ) == ["x"]


async def test_text_search_is_case_insensitive_and_treats_wildcards_literally(client):
    await submit(
        client,
        item("pct", text="Get 50% OFF today"),
        item("nopct", text="get 50 off, 500 left"),
        item("under", text="snake_case rocks"),
        item("nounder", text="snakeXcase rocks"),
        item("rtl", text="שלום 👋 world"),
    )

    assert await external_ids(client, q="50% off") == ["pct"]
    assert await external_ids(client, q="e_c") == ["under"]
    assert set(await external_ids(client, q="SNAKE")) == {"under", "nounder"}
    assert await external_ids(client, q="👋") == ["rtl"]
    assert await external_ids(client, q="no such words") == []


async def test_a_bad_cursor_is_a_400_and_a_bad_limit_a_422(client):
    bad_cursor = await client.get("/v1/interactions", params={"cursor": "garbage"})
    bad_limit = await client.get("/v1/interactions", params={"limit": 201})
    bad_kind = await client.get("/v1/interactions", params={"kind": "shout"})

    assert bad_cursor.status_code == 400
    assert bad_cursor.json()["code"] == "invalid_cursor"
    assert bad_limit.status_code == 422
    assert bad_kind.status_code == 422


@pytest.mark.parametrize(
    "token",
    [
        # A year-1 instant east of UTC: Python cannot convert it to UTC.
        "WyIwMDAxLTAxLTAxVDAwOjAwOjAwKzAxOjAwIiwiMDAwMDAwMDAtMDAwMC0wMDAwLTAwMDAtMDAwMDAwMDAwMDAwIl0",
        "WyI5OTk5LTEyLTMxVDIzOjU5OjU5LTAxOjAwIiwiMDAwMDAwMDAtMDAwMC0wMDAwLTAwMDAtMDAwMDAwMDAwMDAwIl0",
    ],
    ids=["year-0", "year-10000"],
)
async def test_a_forged_cursor_is_a_400_problem(client, token):
    response = await client.get("/v1/interactions", params={"cursor": token})

    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "invalid_cursor"


@pytest.mark.parametrize("name", ["since", "until"])
async def test_a_time_python_cannot_convert_to_utc_is_a_422_problem(client, name):
    response = await client.get("/v1/interactions", params={name: "0001-01-01T00:00:00+01:00"})

    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["errors"][0]["type"] == "timestamp_out_of_range"


async def test_a_conversation_lists_its_thread_in_created_order_across_pages(client):
    await submit(
        client,
        item("third", created_at="2026-11-24T10:03:00Z"),
        item("first", created_at="2026-11-24T10:01:00Z"),
        item("elsewhere", thread_external_id="post-2", created_at="2026-11-24T10:00:00Z"),
        item("other-net", network="x", created_at="2026-11-24T10:00:00Z"),
        item("second", created_at="2026-11-24T10:02:00Z", kind="reply"),
        item("fourth", created_at="2026-11-24T10:04:00Z"),
    )

    pages = await all_pages(client, "/v1/conversations/post-1", network="custom", limit=3)

    assert pages == [["first", "second", "third"], ["fourth"]]
    assert await external_ids(client, "/v1/conversations/post-1", network="x") == ["other-net"]


async def test_an_unknown_conversation_is_a_404(client):
    response = await client.get("/v1/conversations/nope", params={"network": "custom"})
    assert response.status_code == 404
    assert response.json()["code"] == "conversation_not_found"


async def test_a_conversation_needs_its_network(client):
    response = await client.get("/v1/conversations/post-1")
    assert response.status_code == 422
    assert [e["pointer"] for e in response.json()["errors"]] == ["/query/network"]


async def test_other_tenants_see_none_of_it(client, stranger):
    await submit(client, item("mine", text="secret plans"))

    listed = await external_ids(stranger)
    searched = await external_ids(stranger, q="secret")
    thread = await stranger.get("/v1/conversations/post-1", params={"network": "custom"})

    assert await external_ids(client) == ["mine"]
    assert (listed, searched) == ([], [])
    assert thread.status_code == 404


async def test_reading_needs_the_read_scope(settings_for, api_client, issue_api_key, unique):
    key = await issue_api_key(unique("t"), scopes=("interactions:write",))
    async with api_client(create_app(settings_for(Settings)), key=key.key) as writer:
        listed = await writer.get("/v1/interactions")
        thread = await writer.get("/v1/conversations/p", params={"network": "custom"})
    assert (listed.status_code, thread.status_code) == (403, 403)


class TestBrands:
    async def test_an_unregistered_brand_is_refused(self, client):
        listed = await client.get("/v1/interactions", params={"brand_id": "nobody"})
        submitted = await client.post("/v1/interactions", json=item("c-1", brand_id="nobody"))
        batch = await client.post(
            "/v1/interactions/batch",
            json={"items": [item("c-2", brand_id="acme"), item("c-3", brand_id="nobody")]},
        )
        for response in (listed, submitted, batch):
            assert response.status_code == 422
            assert response.json()["code"] == "unknown_brand"
        assert await external_ids(client) == []

    @pytest.fixture
    async def limited(self, client, settings_for, api_client, issue_api_key):
        """A key of the same tenant limited to acme; every brand's interactions are stored."""
        await submit(
            client,
            item("a-1", brand_id="acme", thread_external_id="post-9"),
            item("o-1", brand_id="other", thread_external_id="post-9"),
            item("n-1", thread_external_id="post-9"),
        )
        key = await issue_api_key(client.tenant, brand_ids=("acme",))
        async with api_client(create_app(settings_for(Settings)), key=key.key) as http:
            yield http

    async def test_a_key_limited_to_a_brand_reads_only_its_interactions(self, client, limited):
        every = (await client.get("/v1/interactions")).json()["items"]
        by_id = {i["external_id"]: i["id"] for i in every}

        assert await external_ids(limited) == ["a-1"]
        assert await external_ids(limited, "/v1/conversations/post-9", network="custom") == ["a-1"]
        assert (await limited.get(f"/v1/interactions/{by_id['a-1']}")).status_code == 200
        for other in ("o-1", "n-1"):
            response = await limited.get(f"/v1/interactions/{by_id[other]}")
            assert response.status_code == 404
        response = await limited.get("/v1/interactions", params={"brand_id": "other"})
        assert (response.status_code, response.json()["code"]) == (403, "brand_not_allowed")

    async def test_a_key_limited_to_a_brand_submits_only_for_it(self, client, limited):
        refused = [
            await limited.post("/v1/interactions", json=item("o-2", brand_id="other")),
            await limited.post("/v1/interactions", json=item("n-2")),
            await limited.post(
                "/v1/interactions/batch",
                json={"items": [item("a-2", brand_id="acme"), item("o-3", brand_id="other")]},
            ),
        ]
        accepted = await limited.post("/v1/interactions", json=item("a-3", brand_id="acme"))

        assert [r.status_code for r in refused] == [403, 403, 403]
        assert accepted.status_code == 202
        assert sorted(await external_ids(client)) == ["a-1", "a-3", "n-1", "o-1"]
