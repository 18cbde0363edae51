"""Mastodon: GET /api/v1/accounts/:id/statuses, public for public accounts.

Each status carries its totals (replies_count, reblogs_count, favourites_count). Statuses come
newest first; a read pages back with `max_id` until it passes `since`. Boosts and replies are
left out: they are not the account's posts.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any
from urllib.parse import quote

import httpx

from beacon_shared.contracts.common import Network
from beacon_shared.networks.mastodon import MastodonApi
from ingest.pollers.html_text import html_to_text
from ingest.pollers.paging import Towards, mastodon_pages
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
        posts: list[ObservedPost] = []
        handle: str | None = None
        malformed = 0
        rested: datetime | None = None
        pages = mastodon_pages(
            MastodonApi(client, instance_url=base_url),
            f"api/v1/accounts/{quote(account.external_account_id)}/statuses",
            token=token,
            params=[("exclude_reblogs", "true"), ("exclude_replies", "true")],
            towards=Towards.older,
            after=None,
            what="statuses",
            page_size=PAGE_SIZE,
            max_pages=MAX_PAGES,
            refuse=_gone,
        )
        async for page in pages:
            rested = page.rests_until
            passed_since = False
            for status in page.entries:
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
            if passed_since:
                break
        return Observation(posts, handle, malformed, rested)


def _handle_of(status: Mapping[str, Any]) -> str | None:
    acct = (status.get("account") or {}).get("acct")
    return str(acct) if acct else None


def _gone(response: httpx.Response) -> None:
    if response.status_code in (404, 410):
        raise Gone(f"mastodon answered {response.status_code}")
