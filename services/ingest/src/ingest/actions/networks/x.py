"""X through API v2, with the account's OAuth 2.0 user-context access token.

Credentials: {"access_token": "..."} (scopes tweet.read, tweet.write, users.read and
tweet.moderate.write; dm.read and dm.write to answer direct messages). The base URL is a setting
(INGEST_X_API_BASE_URL). X's protocol (errors, rate-limit headers) is `beacon_shared.networks.x`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import ClassVar

import httpx

from beacon_shared.contracts.common import Network
from beacon_shared.contracts.moderation import NetworkAction
from beacon_shared.network_calls import Refused, json_object, required
from beacon_shared.networks.x import XApi
from ingest.actions.networks.base import Done, Target


class XClient:
    """Hides replies (PUT /2/tweets/:id/hidden), replies (POST /2/tweets) and answers direct
    messages (POST /2/dm_conversations/with/:participant_id/messages)."""

    network: ClassVar[Network] = Network.x
    needs_account: ClassVar[bool] = True

    def __init__(
        self, *, base_url: str, now: Callable[[], datetime] = lambda: datetime.now(UTC)
    ) -> None:
        self._base_url = base_url
        self._now = now

    def unsupported(self, action: NetworkAction) -> str | None:
        """X deletes only the account's own posts: another's reply can be hidden, not deleted."""
        if action is NetworkAction.delete:
            return "X lets an account delete only its own posts; hide the reply instead"
        return None

    def idempotency_window(self, action: NetworkAction) -> timedelta | None:
        """X API v2 takes no idempotency key."""
        return None

    async def perform(
        self, http: httpx.AsyncClient, credentials: Mapping[str, str], target: Target
    ) -> Done:
        """Hide a reply in the account's conversation, or reply to a post."""
        (token,) = required(credentials, "access_token")
        api = XApi(http, base_url=self._base_url, clock=self._now)
        if target.private:
            return await _message(api, token, target)
        if target.action is NetworkAction.hide:
            response = await api.call(
                "PUT",
                f"2/tweets/{target.external_id}/hidden",
                token=token,
                creates=False,
                json={"hidden": True},
            )
            data = json_object(response).get("data")
            if isinstance(data, dict) and data.get("hidden") is False:
                raise Refused("x answered hidden=false")
            return Done()
        response = await api.call(
            "POST",
            "2/tweets",
            token=token,
            creates=True,
            json={
                "text": target.reply_text or "",
                "reply": {"in_reply_to_tweet_id": target.external_id},
            },
        )
        data = json_object(response).get("data")
        reply_id = data.get("id") if isinstance(data, dict) else None
        return Done(reply_external_id=str(reply_id) if reply_id is not None else None)


async def _message(api: XApi, token: str, target: Target) -> Done:
    """A reply to a direct message: a message in the one-to-one conversation with its author."""
    if not target.recipient_external_id:
        raise Refused("a private reply needs its recipient's id")
    response = await api.call(
        "POST",
        f"2/dm_conversations/with/{target.recipient_external_id}/messages",
        token=token,
        creates=True,
        json={"text": target.reply_text or ""},
    )
    data = json_object(response).get("data")
    event_id = data.get("dm_event_id") if isinstance(data, dict) else None
    return Done(reply_external_id=str(event_id) if event_id is not None else None)
