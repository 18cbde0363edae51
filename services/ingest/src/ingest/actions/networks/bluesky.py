"""Bluesky over XRPC, with the account's app password session (shared with the poller's code).

Credentials: {"service": "https://bsky.social", "identifier": "...", "app_password": "..."}.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

import httpx

from beacon_shared.contracts.common import Network
from beacon_shared.contracts.moderation import NetworkAction
from beacon_shared.egress import EgressRefused
from beacon_shared.network_calls import (
    CredentialsRefused,
    NotFound,
    Refused,
    RetryLater,
    for_status,
    json_object,
    required,
    send,
)
from ingest.actions.networks.base import Done, Target
from ingest.pollers.base import Malformed, RateLimited, Unauthorized
from ingest.pollers.bluesky import BlueskySessions, service_of

RESET_HEADER = "ratelimit-reset"  # epoch seconds
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
        self._sessions = sessions or BlueskySessions()
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
        required(credentials, "identifier", "app_password")
        service = service_of(credentials)
        parent = await self._post(http, credentials, service, target.external_id)
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
            credentials,
            lambda jwt: send(
                http,
                "POST",
                f"{service}/xrpc/com.atproto.repo.createRecord",
                json=body,
                headers={"Authorization": f"Bearer {jwt}"},
            ),
        )
        self._check(response, creates=True)
        uri = json_object(response).get("uri")
        return Done(reply_external_id=str(uri) if uri is not None else None)

    async def _post(
        self, http: httpx.AsyncClient, credentials: Mapping[str, str], service: str, uri: str
    ) -> Mapping[str, Any]:
        """The post's view (uri, cid, record) from app.bsky.feed.getPosts."""
        response = await self._authorised(
            http,
            credentials,
            lambda jwt: send(
                http,
                "GET",
                f"{service}/xrpc/app.bsky.feed.getPosts",
                params={"uris": uri},
                headers={"Authorization": f"Bearer {jwt}"},
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
        credentials: Mapping[str, str],
        request: Callable[[str], Awaitable[httpx.Response]],
    ) -> httpx.Response:
        """`request` on the account's session; session failures in the executor's terms."""
        try:
            return await self._sessions.call(http, credentials, request)
        except RateLimited as exc:
            raise RetryLater(
                "bluesky limited sessions", kind="rate_limited", after=exc.until
            ) from exc
        except Unauthorized as exc:
            raise CredentialsRefused(
                f"{exc}; the app password was revoked or changed: reconnect the account"
            ) from exc
        except Malformed as exc:
            raise RetryLater(f"bluesky session: {exc}", kind="server_error") from exc
        except httpx.HTTPStatusError as exc:
            if exc.response.status_code >= 500:
                raise RetryLater(
                    f"bluesky session: {exc.response.status_code}", kind="server_error"
                ) from exc
            raise Refused(f"bluesky refused the session: {exc.response.status_code}") from exc
        except EgressRefused as exc:
            raise Refused(f"bluesky session: refused by the egress guard: {exc}") from exc
        except httpx.TransportError as exc:
            # Only the session calls send raw: none of them acts on the comment.
            raise RetryLater(f"bluesky session: {type(exc).__name__}", kind="connection") from exc

    def _check(self, response: httpx.Response, *, creates: bool) -> None:
        body = json_object(response)
        detail = " ".join(str(body[k]) for k in ("error", "message") if body.get(k))
        for_status(
            response,
            network=self.network.value,
            creates=creates,
            now=self._now(),
            reset_header=RESET_HEADER,
            detail=detail[:300] or None,
        )


def _strong_ref(post: Mapping[str, Any]) -> dict[str, str]:
    uri, cid = post.get("uri"), post.get("cid")
    if not isinstance(uri, str) or not isinstance(cid, str):
        raise Refused("bluesky's post view lacks its uri or cid")
    return {"uri": uri, "cid": cid}
