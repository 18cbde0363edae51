"""Bluesky: app.bsky.feed.getAuthorFeed on a public AppView, no session needed.

Each post view carries likeCount, repostCount, quoteCount and replyCount; shares count reposts
and quotes. The feed comes newest first (by indexedAt); a read pages back with `cursor` until it
passes `since`. Reposts and pinned posts (items with a `reason`) and replies are left out.
"""

from __future__ import annotations

from collections.abc import Awaitable, Mapping
from datetime import datetime
from typing import Any

import httpx

from beacon_shared.contracts.common import Network
from beacon_shared.networks.bluesky import xrpc_error, xrpc_url
from ingest.pollers.paging import bluesky_pages
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
        url = xrpc_url(base_url, "app.bsky.feed.getAuthorFeed")
        posts: list[ObservedPost] = []
        handle: str | None = None
        malformed = 0
        rested: datetime | None = None

        def feed_page(params: Mapping[str, str | int]) -> Awaitable[httpx.Response]:
            return client.get(url, params=params)

        pages = bluesky_pages(
            feed_page,
            params={"actor": actor, "limit": PAGE_SIZE, "filter": "posts_no_replies"},
            method="getAuthorFeed",
            key="feed",
            max_pages=MAX_PAGES,
            refuse=_gone,
        )
        async for page in pages:
            rested = page.rests_until
            passed_since = False
            for item in page.entries:
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
            if passed_since or not page.entries:
                break
        return Observation(posts, handle, malformed, rested)


def _gone(response: httpx.Response) -> None:
    if response.status_code != 400:
        return
    error = xrpc_error(response)
    if error in _GONE_ERRORS or error == "InvalidRequest":
        # InvalidRequest is what the AppView answers for a profile it does not know.
        raise Gone(f"bluesky answered {error}")
