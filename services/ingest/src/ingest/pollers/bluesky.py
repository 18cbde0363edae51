"""Bluesky: app.bsky.notification.listNotifications over XRPC, with an app password session.

Credentials: {"service": "https://bsky.social", "identifier": "...", "app_password": "..."}.
listNotifications pages from the newest backwards, so the cursor kept is the newest `indexedAt`
seen; a poll reads pages until it reaches it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx
from pydantic import ValidationError

from beacon_shared.contracts.common import Author, Network
from beacon_shared.contracts.ingest import InteractionKind
from ingest.interactions.schemas import InteractionIn
from ingest.pollers.base import Fetched, Malformed, RateLimited, Unauthorized
from ingest.pollers.paging import BLUESKY_LIMITS, bluesky_pages, xrpc_error, xrpc_object

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


def to_interaction(notification: Mapping[str, Any]) -> InteractionIn | None:
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
    return InteractionIn(
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


@dataclass
class _Session:
    access_jwt: str
    refresh_jwt: str | None


def service_of(credentials: Mapping[str, str]) -> str:
    """The account's PDS (entryway) URL, without a trailing slash."""
    return credentials.get("service", "https://bsky.social").rstrip("/")


class BlueskySessions:
    """One session per account, shared by every call made with it.

    An access token lives minutes: an expired one is renewed with the session's refresh token
    (com.atproto.server.refreshSession), and only when that is refused too with the app password
    (createSession, which Bluesky limits far more tightly). Raises RateLimited when a session
    call is refused for now, Unauthorized when the app password is refused.
    """

    def __init__(self) -> None:
        self._sessions: dict[tuple[str, str], _Session] = {}

    async def call(
        self,
        client: httpx.AsyncClient,
        credentials: Mapping[str, str],
        send: Callable[[str], Awaitable[httpx.Response]],
    ) -> httpx.Response:
        """`send(access_jwt)`'s answer, sent again once on a renewed session if it expired."""
        service = service_of(credentials)
        key = (service, credentials["identifier"])
        for attempt in range(2):
            session = self._sessions.get(key) or await self._login(client, service, credentials)
            response = await send(session.access_jwt)
            if _session_expired(response) and attempt == 0:
                await self._renew(client, service, credentials, session)
                continue
            return response
        raise Unauthorized("bluesky refused a fresh session")

    async def _renew(
        self,
        client: httpx.AsyncClient,
        service: str,
        credentials: Mapping[str, str],
        session: _Session,
    ) -> None:
        key = (service, credentials["identifier"])
        self._sessions.pop(key, None)
        if session.refresh_jwt is None:
            return  # the next attempt logs in
        response = await client.post(
            f"{service}/xrpc/com.atproto.server.refreshSession",
            headers={"Authorization": f"Bearer {session.refresh_jwt}"},
        )
        if _rate_limited(response):
            raise RateLimited(BLUESKY_LIMITS.reset_of(response))
        if response.is_success:
            self._sessions[key] = _session_of(xrpc_object(response), "refreshSession")
        # A refused refresh token (expired, revoked): the next attempt logs in.

    async def _login(
        self, client: httpx.AsyncClient, service: str, credentials: Mapping[str, str]
    ) -> _Session:
        response = await client.post(
            f"{service}/xrpc/com.atproto.server.createSession",
            json={
                "identifier": credentials["identifier"],
                "password": credentials["app_password"],
            },
        )
        if response.status_code in (400, 401) and not _rate_limited(response):
            raise Unauthorized("bluesky refused the app password")
        session = _session_of(xrpc_object(response), "createSession")
        self._sessions[(service, credentials["identifier"])] = session
        return session


class BlueskyPoller:
    """Polls one Bluesky account's notifications, keeping a session per account."""

    network = Network.bluesky

    def __init__(self) -> None:
        self._sessions = BlueskySessions()

    async def fetch(
        self, client: httpx.AsyncClient, credentials: Mapping[str, str], cursor: str | None
    ) -> Fetched:
        """Notifications indexed after `cursor` (the latest page on a first poll)."""
        service = service_of(credentials)
        url = f"{service}/xrpc/app.bsky.notification.listNotifications"
        seen_until = _when(cursor) if cursor else None
        items: list[InteractionIn] = []
        malformed = 0
        newest = cursor
        rested: datetime | None = None

        def list_page(params: Mapping[str, str | int]) -> Awaitable[httpx.Response]:
            return self._sessions.call(
                client,
                credentials,
                lambda jwt: client.get(
                    url, params=params, headers={"Authorization": f"Bearer {jwt}"}
                ),
            )

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


def _session_of(body: Mapping[str, Any], method: str) -> _Session:
    access, refresh = body.get("accessJwt"), body.get("refreshJwt")
    if not isinstance(access, str):
        raise Malformed(f"{method} has no accessJwt")
    return _Session(access, refresh if isinstance(refresh, str) else None)


def _rate_limited(response: httpx.Response) -> bool:
    return response.status_code == 429


def _session_expired(response: httpx.Response) -> bool:
    if response.status_code == 401:
        return True
    return response.status_code == 400 and xrpc_error(response) in ("ExpiredToken", "InvalidToken")
