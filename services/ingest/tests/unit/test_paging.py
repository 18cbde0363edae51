"""Paging Mastodon's and Bluesky's lists: the marker or cursor each page asks with, where paging
ends, and what a refused answer raises. The network is an in-memory httpx transport; no I/O."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime

import httpx
import pytest

from beacon_shared.networks.bluesky import xrpc_error
from beacon_shared.networks.mastodon import MastodonApi
from ingest.pollers.base import Malformed, RateLimited, Unauthorized
from ingest.pollers.paging import (
    Page,
    Towards,
    bluesky_pages,
    mastodon_pages,
    xrpc_object,
)

URL = "https://network.test/list"
RESET = datetime(2026, 11, 24, 12, 5, tzinfo=UTC)


class Gone(Exception):
    """What a caller's own refusal raises here."""


def network(answer: Callable[[httpx.Request], httpx.Response]) -> tuple[httpx.AsyncClient, list]:
    """A client whose requests `answer` serves; the list collects each request's query."""
    asked: list[httpx.QueryParams] = []

    def handle(request: httpx.Request) -> httpx.Response:
        asked.append(request.url.params)
        return answer(request)

    return httpx.AsyncClient(transport=httpx.MockTransport(handle)), asked


def statuses(*ids: str) -> list[dict[str, str]]:
    return [{"id": i} for i in ids]


async def mastodon_read(
    client: httpx.AsyncClient,
    *,
    towards: Towards,
    after: str | None = None,
    page_size: int = 2,
    max_pages: int = 5,
    refuse: Callable[[httpx.Response], None] | None = None,
) -> list[Page]:
    pages = mastodon_pages(
        MastodonApi(client, instance_url=URL.removesuffix("/list")),
        "list",
        token="t",
        params=[("types[]", "mention"), ("types[]", "follow")],
        towards=towards,
        after=after,
        what="statuses",
        page_size=page_size,
        max_pages=max_pages,
        refuse=refuse,
    )
    return [page async for page in pages]


class TestMastodonPages:
    async def test_paging_older_asks_below_the_oldest_id_read_until_a_short_page(self):
        # Ids sort by length first: "10" is newer than "9".
        answers = {None: statuses("11", "10"), "10": statuses("9", "8"), "8": statuses("7")}
        client, asked = network(
            lambda r: httpx.Response(200, json=answers[r.url.params.get("max_id")])
        )

        pages = await mastodon_read(client, towards=Towards.older)

        assert [p.entries for p in pages] == list(answers.values())
        assert [p.next for p in pages] == ["10", "8", "7"]
        assert [q.get("max_id") for q in asked] == [None, "10", "8"]
        assert all(q.get_list("types[]") == ["mention", "follow"] for q in asked)
        assert all(q["limit"] == "2" for q in asked)

    async def test_paging_newer_asks_above_the_newest_id_read(self):
        answers = {"8": statuses("10", "9"), "10": statuses("12", "11"), "12": []}
        client, asked = network(lambda r: httpx.Response(200, json=answers[r.url.params["min_id"]]))

        pages = await mastodon_read(client, towards=Towards.newer, after="8")

        assert [q["min_id"] for q in asked] == ["8", "10", "12"]
        # An empty page keeps where the list was read to.
        assert [p.next for p in pages] == ["10", "12", "12"]

    async def test_a_page_that_spends_the_quota_is_the_last(self):
        client, asked = network(
            lambda _: httpx.Response(
                200,
                json=statuses("4", "3"),
                headers={"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": RESET.isoformat()},
            )
        )

        (page,) = await mastodon_read(client, towards=Towards.older)

        assert page.rests_until == RESET
        assert len(asked) == 1

    async def test_a_full_page_without_ids_is_the_last(self):
        client, asked = network(lambda _: httpx.Response(200, json=[{"no": "id"}, "junk"]))

        (page,) = await mastodon_read(client, towards=Towards.older, after="5")

        assert page.next == "5"
        assert len(asked) == 1

    async def test_no_more_than_max_pages_are_read(self):
        count = iter(range(100, 0, -1))
        client, asked = network(
            lambda _: httpx.Response(200, json=statuses(str(next(count)), str(next(count))))
        )

        pages = await mastodon_read(client, towards=Towards.older, max_pages=3)

        assert len(pages) == len(asked) == 3

    async def test_a_429_raises_rate_limited_until_the_reset_it_names(self):
        client, _ = network(
            lambda _: httpx.Response(429, headers={"X-RateLimit-Reset": "2026-11-24T12:05:00Z"})
        )

        with pytest.raises(RateLimited) as raised:
            await mastodon_read(client, towards=Towards.older)

        assert raised.value.until == RESET

    async def test_a_refused_token_raises_unauthorized_before_the_caller_s_refusals(self):
        client, _ = network(lambda _: httpx.Response(401))

        def refuse(_: httpx.Response) -> None:
            raise Gone

        with pytest.raises(Unauthorized):
            await mastodon_read(client, towards=Towards.older, refuse=refuse)

    async def test_the_caller_s_refusals_come_before_other_error_statuses(self):
        client, _ = network(lambda _: httpx.Response(410))

        def refuse(response: httpx.Response) -> None:
            if response.status_code == 410:
                raise Gone

        with pytest.raises(Gone):
            await mastodon_read(client, towards=Towards.older, refuse=refuse)

    @pytest.mark.parametrize(
        ("answer", "message"),
        [
            (httpx.Response(200, content=b"<html>"), "statuses are not JSON"),
            (httpx.Response(200, json={"id": "1"}), "statuses are not a list"),
        ],
    )
    async def test_an_answer_that_is_not_a_list_is_malformed(self, answer, message):
        client, _ = network(lambda _: answer)

        with pytest.raises(Malformed, match=message):
            await mastodon_read(client, towards=Towards.older)


async def bluesky_read(
    answer: Callable[[httpx.Request], httpx.Response],
    *,
    max_pages: int = 5,
    refuse: Callable[[httpx.Response], None] | None = None,
) -> tuple[list[Page], list[httpx.QueryParams]]:
    client, asked = network(answer)

    async def get(params: Mapping[str, str | int]) -> httpx.Response:
        return await client.get(URL, params=params)

    pages = bluesky_pages(
        get,
        params={"actor": "did:plc:a", "limit": 2},
        method="getAuthorFeed",
        key="feed",
        max_pages=max_pages,
        refuse=refuse,
    )
    return [page async for page in pages], asked


def feed(entries: list[str], cursor: str | None = None, **headers: str) -> httpx.Response:
    body: dict[str, object] = {"feed": entries}
    if cursor is not None:
        body["cursor"] = cursor
    return httpx.Response(200, json=body, headers=headers)


class TestBlueskyPages:
    async def test_each_page_asks_with_the_cursor_the_last_gave_until_one_gives_none(self):
        answers: dict[object, httpx.Response] = {
            None: feed(["a", "b"], "c1"),
            "c1": feed(["c"], "c2"),
            "c2": feed(["d"]),
        }

        pages, asked = await bluesky_read(lambda r: answers[r.url.params.get("cursor")])

        assert [p.entries for p in pages] == [["a", "b"], ["c"], ["d"]]
        assert [p.next for p in pages] == ["c1", "c2", None]
        assert [dict(q) for q in asked] == [
            {"actor": "did:plc:a", "limit": "2"},
            {"actor": "did:plc:a", "limit": "2", "cursor": "c1"},
            {"actor": "did:plc:a", "limit": "2", "cursor": "c2"},
        ]

    async def test_an_empty_page_with_a_cursor_does_not_end_the_paging(self):
        answers: dict[object, httpx.Response] = {None: feed([], "c1"), "c1": feed(["a"])}

        pages, _ = await bluesky_read(lambda r: answers[r.url.params.get("cursor")])

        assert [p.entries for p in pages] == [[], ["a"]]

    async def test_a_page_that_spends_the_quota_is_the_last(self):
        spent = feed(["a"], "c1", **{"ratelimit-remaining": "0", "ratelimit-reset": "1795521900"})

        (page,), asked = await bluesky_read(lambda _: spent)

        assert page.rests_until == RESET
        assert len(asked) == 1

    async def test_no_more_than_max_pages_are_read(self):
        pages, asked = await bluesky_read(lambda _: feed(["a"], "again"), max_pages=2)

        assert len(pages) == len(asked) == 2

    async def test_an_answer_without_the_list_is_malformed(self):
        with pytest.raises(Malformed, match="getAuthorFeed has no feed list"):
            await bluesky_read(lambda _: httpx.Response(200, json={"cursor": "c"}))

    async def test_a_429_raises_rate_limited_until_the_epoch_reset(self):
        refused = httpx.Response(429, headers={"ratelimit-reset": "1795521900"})

        with pytest.raises(RateLimited) as raised:
            await bluesky_read(lambda _: refused)

        assert raised.value.until == RESET

    async def test_the_caller_s_refusals_come_before_other_error_statuses(self):
        def refuse(response: httpx.Response) -> None:
            if xrpc_error(response) == "ActorNotFound":
                raise Gone

        with pytest.raises(Gone):
            await bluesky_read(
                lambda _: httpx.Response(400, json={"error": "ActorNotFound"}), refuse=refuse
            )


class TestXrpcAnswers:
    def test_the_error_name_of_an_error_answer(self):
        assert xrpc_error(httpx.Response(400, json={"error": "ExpiredToken"})) == "ExpiredToken"

    @pytest.mark.parametrize(
        "answer",
        [
            httpx.Response(400, content=b"bad gateway"),
            httpx.Response(400, json=["ExpiredToken"]),
            httpx.Response(400, json={"error": 7}),
        ],
    )
    def test_an_answer_without_an_error_name_has_none(self, answer):
        assert xrpc_error(answer) is None

    def test_a_refused_token_is_unauthorized(self):
        with pytest.raises(Unauthorized):
            xrpc_object(httpx.Response(403, request=httpx.Request("GET", URL)))

    def test_a_json_list_is_not_an_object(self):
        with pytest.raises(Malformed, match="not a JSON object"):
            xrpc_object(httpx.Response(200, json=[], request=httpx.Request("GET", URL)))
