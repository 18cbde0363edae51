"""X through API v2, with the account's OAuth 2.0 user-context access token.

Credentials: {"access_token": "..."} (scopes tweet.read, tweet.write, users.read and
tweet.moderate.write). The base URL is a setting (INGEST_X_API_BASE_URL).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

import httpx

from beacon_shared.contracts.common import Network
from beacon_shared.contracts.moderation import NetworkAction
from beacon_shared.network_calls import Refused, for_status, json_object, required, send
from ingest.actions.networks.base import Done, Target

RESET_HEADER = "x-rate-limit-reset"  # epoch seconds


class XClient:
    """Hides replies (PUT /2/tweets/:id/hidden) and replies (POST /2/tweets)."""

    network: ClassVar[Network] = Network.x
    needs_account: ClassVar[bool] = True

    def __init__(
        self, *, base_url: str, now: Callable[[], datetime] = lambda: datetime.now(UTC)
    ) -> None:
        self._base = base_url.rstrip("/")
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
        headers = {"Authorization": f"Bearer {token}"}
        if target.action is NetworkAction.hide:
            response = await send(
                http,
                "PUT",
                f"{self._base}/2/tweets/{target.external_id}/hidden",
                json={"hidden": True},
                headers=headers,
            )
            self._check(response, creates=False)
            data = json_object(response).get("data")
            if isinstance(data, dict) and data.get("hidden") is False:
                raise Refused("x answered hidden=false")
            return Done()
        response = await send(
            http,
            "POST",
            f"{self._base}/2/tweets",
            json={
                "text": target.reply_text or "",
                "reply": {"in_reply_to_tweet_id": target.external_id},
            },
            headers=headers,
        )
        self._check(response, creates=True)
        data = json_object(response).get("data")
        reply_id = data.get("id") if isinstance(data, dict) else None
        return Done(reply_external_id=str(reply_id) if reply_id is not None else None)

    def _check(self, response: httpx.Response, *, creates: bool) -> None:
        for_status(
            response,
            network=self.network.value,
            creates=creates,
            now=self._now(),
            reset_header=RESET_HEADER,
            detail=_detail(json_object(response)),
        )


def _detail(body: Mapping[str, Any]) -> str | None:
    """X's problem detail, or the first error's message."""
    if isinstance(body.get("detail"), str):
        return str(body["detail"])[:300]
    errors = body.get("errors")
    if isinstance(errors, list) and errors and isinstance(errors[0], dict):
        message = errors[0].get("message") or errors[0].get("detail")
        return str(message)[:300] if message else None
    return None
