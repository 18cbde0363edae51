"""Bluesky: app.bsky.notification.listNotifications over XRPC, with an app password session.

Credentials: {"service": "https://bsky.social", "identifier": "...", "app_password": "..."}.
listNotifications pages from the newest backwards, so the cursor kept is the newest `indexedAt`
seen; a poll reads pages until it reaches it. The session (sign-in, refresh) is
`beacon_shared.networks.bluesky`'s.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import httpx
from pydantic import ValidationError

from beacon_shared.contracts.common import Author, Network
from beacon_shared.contracts.ingest import InteractionKind
from beacon_shared.network_calls import CredentialsRefused, RetryLater
from beacon_shared.networks.bluesky import BlueskySessions, Login, sending_through
from ingest.interactions.interaction import Interaction
from ingest.pollers.base import Fetched, RateLimited, Unauthorized
from ingest.pollers.paging import RATE_LIMIT_FALLBACK, bluesky_pages

PAGE_SIZE = 50
MAX_PAGES = 5
_KINDS = {
    "reply": InteractionKind.reply,
    "mention": InteractionKind.mention,
    # A quote post names the brand's post: for a community manager it is a mention.
    "quote": InteractionKind.mention,
    "like": InteractionKind.reaction,
    "repost": InteractionKind.share,
    "follow": InteractionKind.follow,
}


def _when(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def to_interaction(notification: Mapping[str, Any]) -> Interaction | None:
    """The interaction a notification stands for; None for reasons Beacon does not keep."""
    kind = _KINDS.get(notification["reason"])
    if kind is None:
        return None
    author = notification["author"]
    record = notification.get("record") or {}
    uri = str(notification["uri"])
    reply = record.get("reply") or {}
    parent = (reply.get("parent") or {}).get("uri")
    root = (reply.get("root") or {}).get("uri")
    subject = notification.get("reasonSubject")
    if kind in (InteractionKind.reaction, InteractionKind.share):
        parent = parent or subject
    return Interaction(
        network=Network.bluesky,
        kind=kind,
        external_id=uri,
        parent_external_id=parent,
        thread_external_id=root or parent or (uri if kind is not InteractionKind.follow else None),
        author=Author(
            network_id=str(author["did"]),
            handle=author.get("handle"),
            display_name=author.get("displayName") or None,
        ),
        text=str(record.get("text") or ""),
        created_at=record.get("createdAt") or notification["indexedAt"],
        raw=dict(notification),
    )


class BlueskyPoller:
    """Polls one Bluesky account's notifications, keeping a session per account."""

    network = Network.bluesky

    def __init__(self, sessions: BlueskySessions | None = None) -> None:
        self._sessions = sessions or BlueskySessions()

    async def fetch(
        self, client: httpx.AsyncClient, credentials: Mapping[str, str], cursor: str | None
    ) -> Fetched:
        """Notifications indexed after `cursor` (the latest page on a first poll)."""
        login = Login.of(credentials)
        url = login.xrpc("app.bsky.notification.listNotifications")
        seen_until = _when(cursor) if cursor else None
        items: list[Interaction] = []
        malformed = 0
        newest = cursor
        rested: datetime | None = None

        async def list_page(params: Mapping[str, str | int]) -> httpx.Response:
            try:
                return await self._sessions.call(
                    login,
                    lambda auth: client.get(url, params=params, headers=auth),
                    send=sending_through(client),
                )
            except CredentialsRefused as exc:
                raise Unauthorized(exc.reason) from exc
            except RetryLater as exc:
                if exc.kind != "rate_limited":
                    raise
                raise RateLimited(exc.after or datetime.now(UTC) + RATE_LIMIT_FALLBACK) from exc

        pages = bluesky_pages(
            list_page,
            params={"limit": PAGE_SIZE},
            method="listNotifications",
            key="notifications",
            max_pages=MAX_PAGES,
        )
        async for page in pages:
            rested = page.rests_until
            reached_seen = False
            for notification in page.entries:
                try:
                    indexed = str(notification["indexedAt"])
                    if seen_until is not None and _when(indexed) <= seen_until:
                        reached_seen = True
                        continue
                    if newest is None or _when(indexed) > _when(newest):
                        newest = indexed
                    item = to_interaction(notification)
                except (KeyError, TypeError, ValueError, AttributeError, ValidationError):
                    malformed += 1
                    continue
                if item is not None:
                    items.append(item)
            # A first poll takes the latest page only; later ones read back to the cursor.
            if seen_until is None or reached_seen:
                break
        return Fetched(items, newest, malformed, rested)
