"""Bluesky over XRPC, with the account's app password session (`beacon_shared.networks.bluesky`).

Credentials: {"service": "https://bsky.social", "identifier": "...", "app_password": "..."}.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

import httpx

from beacon_shared.contracts.common import Network
from beacon_shared.contracts.moderation import NetworkAction
from beacon_shared.network_calls import NotFound, Refused, json_object, send
from beacon_shared.networks import bluesky
from beacon_shared.networks.bluesky import BlueskySessions, Login, sending_through
from ingest.actions.networks.base import Done, Target

POST_COLLECTION = "app.bsky.feed.post"


class BlueskyClient:
    """Replies with com.atproto.repo.createRecord of an app.bsky.feed.post."""

    network: ClassVar[Network] = Network.bluesky
    needs_account: ClassVar[bool] = True

    def __init__(
        self,
        *,
        sessions: BlueskySessions | None = None,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._sessions = sessions or BlueskySessions(clock=now)
        self._now = now

    def unsupported(self, action: NetworkAction) -> str | None:
        """Someone's post is a record in their own repository: only they can delete it. Hiding
        a reply exists only as the root post's threadgate `hiddenReplies` list, a record every
        hide in the thread rewrites and that applies to the brand's own threads only; it is not
        carried out here."""
        if action is NetworkAction.delete:
            return "Bluesky posts live in their author's repository; only the author can delete one"
        if action is NetworkAction.hide:
            return (
                "Bluesky has no hide call for another account's post "
                "(only a threadgate on the brand's own thread)"
            )
        return None

    def idempotency_window(self, action: NetworkAction) -> timedelta | None:
        """createRecord takes no idempotency key."""
        return None

    async def perform(
        self, http: httpx.AsyncClient, credentials: Mapping[str, str], target: Target
    ) -> Done:
        """Reply to a post, as a child of it in its thread."""
        login = Login.of(credentials)
        parent = await self._post(http, login, target.external_id)
        parent_ref = _strong_ref(parent)
        reply = (parent.get("record") or {}).get("reply") or {}
        root = reply.get("root") if isinstance(reply, dict) else None
        root_ref = _strong_ref(root) if isinstance(root, dict) else parent_ref
        record = {
            "$type": POST_COLLECTION,
            "text": target.reply_text or "",
            "createdAt": self._now().isoformat().replace("+00:00", "Z"),
            "reply": {"root": root_ref, "parent": parent_ref},
        }
        body = {"repo": target.account_external_id, "collection": POST_COLLECTION, "record": record}
        response = await self._authorised(
            http,
            login,
            lambda auth: send(
                http,
                "POST",
                login.xrpc("com.atproto.repo.createRecord"),
                json=body,
                headers=auth,
            ),
        )
        self._check(response, creates=True)
        uri = json_object(response).get("uri")
        return Done(reply_external_id=str(uri) if uri is not None else None)

    async def _post(self, http: httpx.AsyncClient, login: Login, uri: str) -> Mapping[str, Any]:
        """The post's view (uri, cid, record) from app.bsky.feed.getPosts."""
        response = await self._authorised(
            http,
            login,
            lambda auth: send(
                http,
                "GET",
                login.xrpc("app.bsky.feed.getPosts"),
                params={"uris": uri},
                headers=auth,
            ),
        )
        self._check(response, creates=False)
        posts = json_object(response).get("posts")
        found = [p for p in posts if isinstance(p, dict)] if isinstance(posts, list) else []
        if not found:
            raise NotFound("bluesky has no such post (deleted, or not visible to the account)")
        return found[0]

    async def _authorised(
        self,
        http: httpx.AsyncClient,
        login: Login,
        request: Callable[[Mapping[str, str]], Awaitable[httpx.Response]],
    ) -> httpx.Response:
        """`request` on the account's session."""
        return await self._sessions.call(login, request, send=sending_through(http, self._now))

    def _check(self, response: httpx.Response, *, creates: bool) -> None:
        bluesky.raise_for_answer(response, creates=creates, now=self._now())


def _strong_ref(post: Mapping[str, Any]) -> dict[str, str]:
    uri, cid = post.get("uri"), post.get("cid")
    if not isinstance(uri, str) or not isinstance(cid, str):
        raise Refused("bluesky's post view lacks its uri or cid")
    return {"uri": uri, "cid": cid}
