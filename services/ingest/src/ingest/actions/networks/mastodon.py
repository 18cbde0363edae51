"""Mastodon's REST API, with the account's access token.

Credentials: {"base_url": "https://mastodon.social", "access_token": "..."}, as the poller reads.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import ClassVar

import httpx

from beacon_shared.contracts.common import Network
from beacon_shared.contracts.moderation import NetworkAction
from beacon_shared.network_calls import for_status, json_object, required, send
from ingest.actions.networks.base import Done, Target

RESET_HEADER = "x-ratelimit-reset"  # ISO 8601
# Mastodon keeps an Idempotency-Key for up to an hour; a retry must come well within it.
IDEMPOTENCY_WINDOW = timedelta(minutes=50)


class MastodonClient:
    """Replies with POST /api/v1/statuses and an Idempotency-Key of the action's id."""

    network: ClassVar[Network] = Network.mastodon
    needs_account: ClassVar[bool] = True

    def __init__(self, *, now: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self._now = now

    def unsupported(self, action: NetworkAction) -> str | None:
        """An account cannot hide or delete another account's status: only its author (or the
        instance's moderators, through the admin API) can remove it."""
        if action in (NetworkAction.hide, NetworkAction.delete):
            return (
                f"Mastodon cannot {action.value} another account's status; "
                "only its author or the instance's moderators can"
            )
        return None

    def idempotency_window(self, action: NetworkAction) -> timedelta | None:
        """Replies carry an Idempotency-Key: resending one within the window creates nothing new."""
        return IDEMPOTENCY_WINDOW if action is NetworkAction.reply else None

    async def perform(
        self, http: httpx.AsyncClient, credentials: Mapping[str, str], target: Target
    ) -> Done:
        """Reply to a status."""
        base_url, token = required(credentials, "base_url", "access_token")
        response = await send(
            http,
            "POST",
            f"{base_url.rstrip('/')}/api/v1/statuses",
            data={"status": _addressed(target), "in_reply_to_id": target.external_id},
            headers={
                "Authorization": f"Bearer {token}",
                "Idempotency-Key": str(target.action_id),
            },
        )
        body = json_object(response)
        error = body.get("error")
        for_status(
            response,
            network=self.network.value,
            creates=True,
            now=self._now(),
            reset_header=RESET_HEADER,
            detail=str(error)[:300] if error else None,
        )
        status_id = body.get("id")
        return Done(reply_external_id=str(status_id) if status_id is not None else None)


def _addressed(target: Target) -> str:
    """The reply starting with the author's @handle unless it names them already: Mastodon
    notifies (and, for a private status, shows the reply to) only the accounts a status mentions."""
    text = target.reply_text or ""
    if not target.author_handle:
        return text
    mention = "@" + target.author_handle.lstrip("@")
    return text if mention.casefold() in text.casefold() else f"{mention} {text}"
