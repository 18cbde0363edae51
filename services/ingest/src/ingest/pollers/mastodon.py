"""Mastodon: GET /api/v1/notifications of the account the access token belongs to.

Credentials: {"base_url": "https://mastodon.social", "access_token": "..."}. The cursor is the
newest notification id seen; `min_id` asks for the page right after it, oldest first.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import httpx
from pydantic import ValidationError

from beacon_shared.bounds import INT32_MAX, count_from_payload
from beacon_shared.contracts.common import Author, Network
from beacon_shared.contracts.ingest import InteractionKind
from beacon_shared.networks.mastodon import MastodonApi
from ingest.interactions.interaction import Interaction
from ingest.pollers.base import Fetched
from ingest.pollers.html_text import html_to_text
from ingest.pollers.paging import Towards, mastodon_pages

TYPES = ("mention", "favourite", "reblog", "follow")
PAGE_SIZE = 40
MAX_PAGES = 5
_KINDS = {
    "favourite": InteractionKind.reaction,
    "reblog": InteractionKind.share,
    "follow": InteractionKind.follow,
}


def to_interaction(notification: Mapping[str, Any]) -> Interaction | None:
    """The interaction a notification stands for; None for types Beacon does not keep."""
    kind_name = notification["type"]
    account = notification["account"]
    author = Author(
        network_id=str(account["id"]),
        handle=account.get("acct"),
        display_name=account.get("display_name") or None,
        follower_count=count_from_payload(
            account.get("followers_count"),
            field="followers_count",
            source="mastodon",
            maximum=INT32_MAX,
        ),
    )
    status = notification.get("status") or None
    common: dict[str, Any] = {
        "network": Network.mastodon,
        "author": author,
        "created_at": notification["created_at"],
        "raw": dict(notification),
    }
    if kind_name == "mention":
        if status is None:
            raise ValueError("a mention without its status")
        parent = status.get("in_reply_to_id")
        return Interaction(
            kind=InteractionKind.reply if parent else InteractionKind.mention,
            external_id=str(status["id"]),
            parent_external_id=str(parent) if parent else None,
            thread_external_id=str(parent) if parent else str(status["id"]),
            text=html_to_text(status.get("content") or ""),
            **common,
        )
    kind = _KINDS.get(kind_name)
    if kind is None:
        return None
    status_id = str(status["id"]) if status is not None else None
    # A favourite, boost or follow has no id of its own: the notification's id stands for it.
    return Interaction(
        kind=kind,
        external_id=f"notification:{notification['id']}",
        parent_external_id=status_id,
        thread_external_id=status_id,
        **common,
    )


class MastodonPoller:
    """Polls one Mastodon account's notifications."""

    network = Network.mastodon

    async def fetch(
        self, client: httpx.AsyncClient, credentials: Mapping[str, str], cursor: str | None
    ) -> Fetched:
        """Notifications newer than `cursor` (the latest page on a first poll)."""
        items: list[Interaction] = []
        malformed = 0
        newest = cursor
        rested: datetime | None = None
        pages = mastodon_pages(
            MastodonApi(client, instance_url=credentials["base_url"]),
            "api/v1/notifications",
            token=credentials["access_token"],
            params=[("types[]", t) for t in TYPES],
            towards=Towards.newer,
            after=cursor,
            what="notifications",
            page_size=PAGE_SIZE,
            max_pages=MAX_PAGES,
        )
        async for page in pages:
            for notification in page.entries:
                try:
                    item = to_interaction(notification)
                except (KeyError, TypeError, ValueError, ValidationError):
                    malformed += 1
                    continue
                if item is not None:
                    items.append(item)
            newest, rested = page.next, page.rests_until
            # A first poll takes the latest page only; later ones catch up page by page.
            if cursor is None:
                break
        return Fetched(items, newest, malformed, rested)
