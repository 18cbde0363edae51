"""Mastodon: GET /api/v1/accounts/:id/statuses, public for public accounts.

Each status carries its totals (replies_count, reblogs_count, favourites_count). Statuses come
newest first; a read pages back with `max_id` until it passes `since`. Boosts and replies are
left out: they are not the account's posts.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

import httpx

from beacon_shared.contracts.common import Network
from ingest.pollers.base import Malformed, RateLimited, Unauthorized, reset_at
from ingest.pollers.html_text import html_to_text
from ingest.post_metrics.base import (
    MAX_TEXT,
    Gone,
    MetricsAccount,
    Observation,
    ObservedPost,
    count,
    when,
)

PAGE_SIZE = 40
MAX_PAGES = 5


def _id_order(status_id: str) -> tuple[int, str]:
    # Mastodon ids are strings that sort by length, then lexically.
    return len(status_id), status_id


def to_post(status: Mapping[str, Any]) -> ObservedPost | None:
    """The post a status stands for; None for a boost of someone else's."""
    if status.get("reblog"):
        return None
    return ObservedPost(
        external_id=str(status["id"]),
        text=html_to_text(str(status.get("content") or ""))[:MAX_TEXT],
        created_at=when(status["created_at"]),
        likes=count(status["favourites_count"]),
        comments=count(status["replies_count"]),
        shares=count(status["reblogs_count"]),
    )


class MastodonMetrics:
    """Reads an account's statuses from its instance, with the brand's token when it has one."""

    network = Network.mastodon

    async def read(
        self,
        client: httpx.AsyncClient,
        account: MetricsAccount,
        *,
        base_url: str,
        token: str | None,
        since: datetime,
    ) -> Observation:
        """Statuses created since `since`, newest first."""
        url = (
            f"{base_url.rstrip('/')}/api/v1/accounts/{quote(account.external_account_id)}/statuses"
        )
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        posts: list[ObservedPost] = []
        handle: str | None = None
        malformed = 0
        max_id: str | None = None
        rested: datetime | None = None
        for _ in range(MAX_PAGES):
            params: dict[str, str | int] = {
                "limit": PAGE_SIZE,
                "exclude_reblogs": "true",
                "exclude_replies": "true",
            }
            if max_id is not None:
                params["max_id"] = max_id
            response = await client.get(url, params=params, headers=headers)
            page = _page_of(response)
            passed_since = False
            for status in page:
                try:
                    post = to_post(status)
                    handle = handle or _handle_of(status)
                except (KeyError, TypeError, ValueError, AttributeError):
                    malformed += 1
                    continue
                if post is None:
                    continue
                if post.created_at < since:
                    passed_since = True
                    continue
                posts.append(post)
            ids = [str(s["id"]) for s in page if isinstance(s, dict) and "id" in s]
            rested = _rests_until(response)
            if passed_since or len(page) < PAGE_SIZE or rested is not None or not ids:
                break
            max_id = min(ids, key=_id_order)
        return Observation(posts, handle, malformed, rested)


def _handle_of(status: Mapping[str, Any]) -> str | None:
    acct = (status.get("account") or {}).get("acct")
    return str(acct) if acct else None


def _page_of(response: httpx.Response) -> list[Any]:
    if response.status_code == 429:
        raise RateLimited(_reset(response))
    if response.status_code in (401, 403):
        raise Unauthorized(f"mastodon answered {response.status_code}")
    if response.status_code in (404, 410):
        raise Gone(f"mastodon answered {response.status_code}")
    response.raise_for_status()
    try:
        page = response.json()
    except ValueError as exc:
        raise Malformed("statuses are not JSON") from exc
    if not isinstance(page, list):
        raise Malformed("statuses are not a list")
    return page


def _reset(response: httpx.Response) -> datetime:
    return reset_at(
        response.headers.get("X-RateLimit-Reset"),
        now=datetime.now(UTC),
        fallback=timedelta(minutes=5),
    )


def _rests_until(response: httpx.Response) -> datetime | None:
    remaining = response.headers.get("X-RateLimit-Remaining")
    if remaining is not None and remaining.strip() == "0":
        return _reset(response)
    return None
