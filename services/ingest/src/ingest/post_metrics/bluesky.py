"""Bluesky: app.bsky.feed.getAuthorFeed on a public AppView, no session needed.

Each post view carries likeCount, repostCount, quoteCount and replyCount; shares count reposts
and quotes. The feed comes newest first (by indexedAt); a read pages back with `cursor` until it
passes `since`. Reposts and pinned posts (items with a `reason`) and replies are left out.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from beacon_shared.contracts.common import Network
from ingest.pollers.base import Malformed, RateLimited, Unauthorized, reset_at
from ingest.post_metrics.base import (
    MAX_TEXT,
    Gone,
    MetricsAccount,
    Observation,
    ObservedPost,
    count,
    when,
)

PAGE_SIZE = 50
MAX_PAGES = 5
# XRPC errors of an actor the AppView does not serve.
_GONE_ERRORS = frozenset(
    {"ActorNotFound", "AccountTakedown", "AccountDeactivated", "BlockedActor", "BlockedByActor"}
)


def to_post(item: Mapping[str, Any], actor: str) -> tuple[ObservedPost, datetime] | None:
    """The actor's own post in a feed item and when it was indexed; None for anything else."""
    if item.get("reason"):
        return None
    post = item["post"]
    if post["author"]["did"] != actor:
        return None
    record = post["record"]
    indexed = when(post["indexedAt"])
    created = when(record["createdAt"])
    shares = count(post.get("repostCount"))
    quotes = count(post.get("quoteCount"))
    return (
        ObservedPost(
            external_id=str(post["uri"]),
            text=str(record.get("text") or "")[:MAX_TEXT],
            # A createdAt ahead of the AppView's clock is the author's clock: indexing bounds it.
            created_at=min(created, indexed),
            likes=count(post.get("likeCount")),
            comments=count(post.get("replyCount")),
            shares=None if shares is None else shares + (quotes or 0),
        ),
        indexed,
    )


class BlueskyMetrics:
    """Reads an account's posts from the public AppView (own accounts' and competitors' alike)."""

    network = Network.bluesky

    async def read(
        self,
        client: httpx.AsyncClient,
        account: MetricsAccount,
        *,
        base_url: str,
        token: str | None,
        since: datetime,
    ) -> Observation:
        """Posts indexed since `since`, newest first."""
        actor = account.external_account_id
        url = f"{base_url.rstrip('/')}/xrpc/app.bsky.feed.getAuthorFeed"
        posts: list[ObservedPost] = []
        handle: str | None = None
        malformed = 0
        cursor: str | None = None
        rested: datetime | None = None
        for _ in range(MAX_PAGES):
            params: dict[str, str | int] = {
                "actor": actor,
                "limit": PAGE_SIZE,
                "filter": "posts_no_replies",
            }
            if cursor is not None:
                params["cursor"] = cursor
            response = await client.get(url, params=params)
            body = _json_object(response)
            feed = body.get("feed")
            if not isinstance(feed, list):
                raise Malformed("getAuthorFeed has no feed list")
            passed_since = False
            for item in feed:
                try:
                    read = to_post(item, actor)
                    if read is not None and handle is None:
                        handle = item["post"]["author"].get("handle")
                except (KeyError, TypeError, ValueError, AttributeError):
                    malformed += 1
                    continue
                if read is None:
                    continue
                post, indexed = read
                if indexed < since:
                    passed_since = True
                    continue
                if post.created_at >= since:
                    posts.append(post)
            rested = _rests_until(response)
            next_cursor = body.get("cursor")
            if passed_since or rested is not None or not feed or not isinstance(next_cursor, str):
                break
            cursor = next_cursor
        return Observation(posts, handle, malformed, rested)


def _json_object(response: httpx.Response) -> Mapping[str, Any]:
    if response.status_code == 429:
        raise RateLimited(_reset(response))
    if response.status_code in (401, 403):
        raise Unauthorized(f"bluesky answered {response.status_code}")
    if response.status_code == 400:
        error = _error_of(response)
        if error in _GONE_ERRORS or error == "InvalidRequest":
            # InvalidRequest is what the AppView answers for a profile it does not know.
            raise Gone(f"bluesky answered {error}")
    response.raise_for_status()
    try:
        body = response.json()
    except ValueError as exc:
        raise Malformed("the answer is not JSON") from exc
    if not isinstance(body, dict):
        raise Malformed("the answer is not a JSON object")
    return body


def _error_of(response: httpx.Response) -> str | None:
    try:
        error = response.json().get("error")
    except (ValueError, AttributeError):
        return None
    return error if isinstance(error, str) else None


def _reset(response: httpx.Response) -> datetime:
    return reset_at(
        response.headers.get("ratelimit-reset"),
        now=datetime.now(UTC),
        fallback=timedelta(minutes=5),
    )


def _rests_until(response: httpx.Response) -> datetime | None:
    remaining = response.headers.get("ratelimit-remaining")
    if remaining is not None and remaining.strip() == "0":
        return _reset(response)
    return None
