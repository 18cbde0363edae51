"""Paging through Mastodon's and Bluesky's lists, for the interaction pollers and the post
metrics readers alike: what a page's answer means, the rate-limit headers that say a quota is
spent, and where the next page starts.

Both networks list newest first. A Mastodon list pages by id from a marker (`min_id` towards
newer entries, `max_id` towards older ones); a Bluesky (XRPC) list pages back with the opaque
`cursor` each page gives.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

import httpx

from beacon_shared.networks import bluesky, mastodon
from beacon_shared.networks.mastodon import MastodonApi
from beacon_shared.rate_limit_headers import LimitHeaders
from ingest.pollers.base import Malformed, RateLimited, Unauthorized

# A spent quota whose reset the answer does not say is waited out this long.
RATE_LIMIT_FALLBACK = timedelta(minutes=5)

# Raises what an answer means to one caller in particular (an account the network no longer
# serves, say); checked after the refusals every caller shares, before any other error status.
Refusals = Callable[[httpx.Response], None]
# httpx's query parameters, repeated names allowed (Mastodon's `types[]`).
Query = list[tuple[str, str | int | float | bool | None]]


def reset_of(limits: LimitHeaders, response: httpx.Response) -> datetime:
    """When the answer says the window resets (RATE_LIMIT_FALLBACK from now if it does not)."""
    return limits.reset_of(response.headers) or datetime.now(UTC) + RATE_LIMIT_FALLBACK


def rests_until(limits: LimitHeaders, response: httpx.Response) -> datetime | None:
    """The window's reset when this answer spent its last call; None while calls are left."""
    remaining = response.headers.get(limits.remaining)
    if remaining is not None and remaining.strip() == "0":
        return reset_of(limits, response)
    return None


@dataclass(frozen=True)
class Page:
    """One page's entries, where the next page starts, and the quota's reset if this page spent
    it."""

    entries: list[Any]
    # Mastodon: the furthest id read so far towards where the list pages (the marker it started
    # from when no entry had an id); Bluesky: the cursor the page gave. None when there is none.
    next: str | None
    rests_until: datetime | None


# Mastodon ---------------------------------------------------------------------------------------


class Towards(StrEnum):
    """Which way a Mastodon list pages from its marker, by the parameter that asks for it."""

    newer = "min_id"
    older = "max_id"


async def mastodon_pages(
    api: MastodonApi,
    path: str,
    *,
    token: str | None,
    params: Query,
    towards: Towards,
    after: str | None,
    what: str,
    page_size: int,
    max_pages: int,
    refuse: Refusals | None = None,
) -> AsyncIterator[Page]:
    """Up to `max_pages` pages of the Mastodon list at `path` (with the token when there is one),
    from the marker `after` (the newest page when None) `towards` newer or older entries. Ends
    after a short page, a page without ids or one that spent the quota; the caller may stop
    sooner. `what` names the entries in errors."""
    marker = after
    for _ in range(max_pages):
        query: Query = [*params, ("limit", page_size)]
        if marker is not None:
            query.append((towards.value, marker))
        response = await api.request("GET", path, token=token, params=query)
        entries = _mastodon_list(response, what=what, refuse=refuse)
        ids = [str(e["id"]) for e in entries if isinstance(e, dict) and "id" in e]
        if ids:
            furthest = max if towards is Towards.newer else min
            marker = furthest([*ids, *([marker] if marker else [])], key=mastodon.id_order)
        rests = rests_until(mastodon.LIMITS, response)
        yield Page(entries, marker, rests)
        if len(entries) < page_size or rests is not None or not ids:
            return


def _mastodon_list(response: httpx.Response, *, what: str, refuse: Refusals | None) -> list[Any]:
    page = _json_answer(
        response,
        network="mastodon",
        limits=mastodon.LIMITS,
        refuse=refuse,
        not_json=f"{what} are not JSON",
    )
    if not isinstance(page, list):
        raise Malformed(f"{what} are not a list")
    return page


# Bluesky ----------------------------------------------------------------------------------------


async def bluesky_pages(
    get: Callable[[Mapping[str, str | int]], Awaitable[httpx.Response]],
    *,
    params: Mapping[str, str | int],
    method: str,
    key: str,
    max_pages: int,
    refuse: Refusals | None = None,
) -> AsyncIterator[Page]:
    """Up to `max_pages` pages of the XRPC list `method`, each asked for with `get(params)` and
    the cursor of the page before; its entries are under `key`. Ends after a page that spent the
    quota or gave no cursor; the caller may stop sooner."""
    cursor: str | None = None
    for _ in range(max_pages):
        response = await get(dict(params) if cursor is None else {**params, "cursor": cursor})
        body = xrpc_object(response, refuse=refuse)
        entries = body.get(key)
        if not isinstance(entries, list):
            raise Malformed(f"{method} has no {key} list")
        given = body.get("cursor")
        cursor = given if isinstance(given, str) else None
        rests = rests_until(bluesky.LIMITS, response)
        yield Page(entries, cursor, rests)
        if rests is not None or cursor is None:
            return


def xrpc_object(response: httpx.Response, *, refuse: Refusals | None = None) -> Mapping[str, Any]:
    """The JSON object of a Bluesky answer, or the PollError its status means."""
    body = _json_answer(
        response,
        network="bluesky",
        limits=bluesky.LIMITS,
        refuse=refuse,
        not_json="the answer is not JSON",
    )
    if not isinstance(body, dict):
        raise Malformed("the answer is not a JSON object")
    return body


def _json_answer(
    response: httpx.Response,
    *,
    network: str,
    limits: LimitHeaders,
    refuse: Refusals | None,
    not_json: str,
) -> Any:
    """The decoded body of a successful answer, or the PollError its status means."""
    if response.status_code == 429:
        raise RateLimited(reset_of(limits, response))
    if response.status_code in (401, 403):
        raise Unauthorized(f"{network} answered {response.status_code}")
    if refuse is not None:
        refuse(response)
    response.raise_for_status()
    try:
        return response.json()
    except ValueError as exc:
        raise Malformed(not_json) from exc
