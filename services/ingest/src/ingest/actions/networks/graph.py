"""Facebook Pages and Instagram through Meta's Graph API, with the account's access token.

Credentials: {"access_token": "..."}: a Page access token for a Page, the token the Instagram
professional account was connected with for Instagram. The base URL and the API version are
settings (INGEST_GRAPH_API_BASE_URL, INGEST_INSTAGRAM_API_BASE_URL, INGEST_GRAPH_API_VERSION).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

import httpx
import orjson

from beacon_shared.contracts.common import Network
from beacon_shared.contracts.moderation import NetworkAction
from beacon_shared.network_calls import (
    CredentialsRefused,
    NotFound,
    Refused,
    RetryLater,
    for_status,
    json_object,
    retry_after,
    send,
)
from ingest.actions.networks.base import Done, Target

# https://developers.facebook.com/docs/graph-api/guides/error-handling
EXPIRED_TOKEN_CODES = frozenset({102, 190})
THROTTLING_CODES = frozenset({4, 17, 32, 613})  # app, user, page and custom-level rate limits
TRANSIENT_CODES = frozenset({1, 2})  # unknown error, service temporarily unavailable
PERMISSION_CODES = frozenset({10, *range(200, 300)})
INVALID_PARAMETER = 100
OBJECT_MISSING_SUBCODE = 33


class GraphClient:
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
        self._root = f"{base_url.rstrip('/')}/{version.strip('/')}"
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
        headers = {"Authorization": f"Bearer {token}"}
        node = f"{self._root}/{target.external_id}"
        if target.action is NetworkAction.hide:
            response = await send(
                http, "POST", node, data={self.hide_field: "true"}, headers=headers
            )
            self._check(response, creates=False)
            _require_success(response, self.network)
            return Done()
        if target.action is NetworkAction.delete:
            response = await send(http, "DELETE", node, headers=headers)
            self._check(response, creates=False)
            _require_success(response, self.network)
            return Done()
        response = await send(
            http,
            "POST",
            f"{node}/{self.replies_edge}",
            data={"message": target.reply_text or ""},
            headers=headers,
        )
        self._check(response, creates=True)
        reply_id = json_object(response).get("id")
        return Done(reply_external_id=str(reply_id) if reply_id is not None else None)

    def _check(self, response: httpx.Response, *, creates: bool) -> None:
        """Graph errors say more in their body's code than in the HTTP status."""
        if response.is_success:
            return
        error = json_object(response).get("error")
        error = error if isinstance(error, dict) else {}
        code, subcode = error.get("code"), error.get("error_subcode")
        message = str(error.get("message") or "")[:300]
        said = f"{self.network.value} answered {response.status_code}" + (
            f" (code {code}): {message}" if code is not None else ""
        )
        now = self._now()
        if code in EXPIRED_TOKEN_CODES:
            raise CredentialsRefused(
                f"{said}; the access token expired or was revoked: reconnect the account"
            )
        if code in THROTTLING_CODES or (isinstance(code, int) and 80001 <= code <= 80099):
            raise RetryLater(said, kind="rate_limited", after=_regain_access(response, now))
        if code in TRANSIENT_CODES or error.get("is_transient") is True:
            raise RetryLater(said, kind="server_error", after=retry_after(response, now=now))
        if code in PERMISSION_CODES:
            raise Refused(f"{said}; the token lacks the permission")
        if code == INVALID_PARAMETER and subcode == OBJECT_MISSING_SUBCODE:
            raise NotFound(said)
        for_status(
            response,
            network=self.network.value,
            creates=creates,
            now=now,
            detail=f"(code {code}) {message}" if code is not None else None,
        )


class FacebookClient(GraphClient):
    """A Page's comments: POST /{comment-id} is_hidden, DELETE /{comment-id},
    POST /{comment-id}/comments."""

    network = Network.facebook
    hide_field = "is_hidden"
    replies_edge = "comments"


class InstagramClient(GraphClient):
    """An Instagram professional account's comments: POST /{ig-comment-id} hide,
    DELETE /{ig-comment-id}, POST /{ig-comment-id}/replies."""

    network = Network.instagram
    hide_field = "hide"
    replies_edge = "replies"


def _require_success(response: httpx.Response, network: Network) -> None:
    if json_object(response).get("success") is False:
        raise Refused(f"{network.value} answered success=false")


def _regain_access(response: httpx.Response, now: datetime) -> datetime | None:
    """Retry-After if sent, else the longest estimated_time_to_regain_access (minutes) that
    X-Business-Use-Case-Usage reports."""
    after = retry_after(response, now=now)
    if after is not None:
        return after
    header = response.headers.get("x-business-use-case-usage")
    if not header:
        return None
    try:
        usage: Any = orjson.loads(header)
    except orjson.JSONDecodeError:
        return None
    minutes = [
        entry.get("estimated_time_to_regain_access")
        for entries in (usage.values() if isinstance(usage, dict) else ())
        if isinstance(entries, list)
        for entry in entries
        if isinstance(entry, dict)
    ]
    longest = max((m for m in minutes if isinstance(m, int | float)), default=0)
    return now + timedelta(minutes=longest) if longest > 0 else None
