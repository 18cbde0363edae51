"""Facebook Pages and Instagram through Meta's Graph API, with the account's access token.

Comments are hidden, deleted and replied to on their own node; a reply to a private message is
sent with the Send API, `POST /{page-id or ig-user-id}/messages` with the recipient's scoped id,
`messaging_type` RESPONSE (or MESSAGE_TAG with `tag` HUMAN_AGENT past 24 hours), the window
being checked before (`beacon_shared.messaging`).

Credentials: {"access_token": "..."}: a Page access token for a Page, the token the Instagram
professional account was connected with for Instagram. The base URL and the API version are
settings (INGEST_GRAPH_API_BASE_URL, INGEST_INSTAGRAM_API_BASE_URL, INGEST_GRAPH_API_VERSION).
Graph's protocol (errors, usage headers) is `beacon_shared.networks.graph`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import ClassVar

import httpx

from beacon_shared.contracts.common import Network
from beacon_shared.contracts.moderation import NetworkAction
from beacon_shared.network_calls import Refused, json_object
from beacon_shared.networks.graph import GraphApi, require_success
from ingest.actions.networks.base import Done, Target


class GraphModeration:
    """The comment moderation edges common to Facebook Pages and Instagram."""

    network: ClassVar[Network]
    hide_field: ClassVar[str]
    replies_edge: ClassVar[str]
    needs_account: ClassVar[bool] = True

    def __init__(
        self,
        *,
        base_url: str,
        version: str,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._base_url = base_url
        self._version = version
        self._now = now

    def unsupported(self, action: NetworkAction) -> str | None:
        """Graph moderates comments on the account's own posts: hide, delete and reply."""
        return None

    def idempotency_window(self, action: NetworkAction) -> timedelta | None:
        """The Graph API takes no idempotency key."""
        return None

    async def perform(
        self, http: httpx.AsyncClient, credentials: Mapping[str, str], target: Target
    ) -> Done:
        """Hide, delete or reply to one comment."""
        token = credentials.get("access_token") or credentials.get("page_access_token")
        if not token:
            raise Refused("the account's credentials lack access_token: reconnect it")
        graph = GraphApi(
            http,
            network=self.network,
            base_url=self._base_url,
            version=self._version,
            clock=self._now,
        )
        if target.private:
            return await self._message(graph, token, target)
        node = target.external_id
        if target.action is NetworkAction.hide:
            response = await graph.call(
                "POST", node, token=token, creates=False, data={self.hide_field: "true"}
            )
            require_success(response, network=self.network)
            return Done()
        if target.action is NetworkAction.delete:
            response = await graph.call("DELETE", node, token=token, creates=False)
            require_success(response, network=self.network)
            return Done()
        response = await graph.call(
            "POST",
            f"{node}/{self.replies_edge}",
            token=token,
            creates=True,
            data={"message": target.reply_text or ""},
        )
        reply_id = json_object(response).get("id")
        return Done(reply_external_id=str(reply_id) if reply_id is not None else None)

    async def _message(self, graph: GraphApi, token: str, target: Target) -> Done:
        """A reply to a private message: a message to its author through the Send API."""
        if not target.recipient_external_id:
            raise Refused("a private reply needs its recipient's id")
        # Graph reads object parameters as JSON, in a form as in a JSON body.
        data = {
            "recipient": json.dumps({"id": target.recipient_external_id}),
            "message": json.dumps({"text": target.reply_text or ""}),
            "messaging_type": "MESSAGE_TAG" if target.message_tag else "RESPONSE",
        }
        if target.message_tag:
            data["tag"] = target.message_tag
        response = await graph.call(
            "POST", f"{target.account_external_id}/messages", token=token, creates=True, data=data
        )
        message_id = json_object(response).get("message_id")
        return Done(reply_external_id=str(message_id) if message_id is not None else None)


class FacebookClient(GraphModeration):
    """A Page's comments: POST /{comment-id} is_hidden, DELETE /{comment-id},
    POST /{comment-id}/comments; Messenger replies: POST /{page-id}/messages."""

    network = Network.facebook
    hide_field = "is_hidden"
    replies_edge = "comments"


class InstagramClient(GraphModeration):
    """An Instagram professional account's comments: POST /{ig-comment-id} hide,
    DELETE /{ig-comment-id}, POST /{ig-comment-id}/replies; direct message replies:
    POST /{ig-user-id}/messages."""

    network = Network.instagram
    hide_field = "hide"
    replies_edge = "replies"
