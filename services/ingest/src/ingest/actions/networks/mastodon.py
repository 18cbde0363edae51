"""Mastodon's REST API, with the account's access token.

Credentials: {"base_url": "https://mastodon.social", "access_token": "..."}, as the poller reads.
Mastodon's protocol (errors, Idempotency-Key) is `beacon_shared.networks.mastodon`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import ClassVar

import httpx

from beacon_shared.contracts.common import Network
from beacon_shared.contracts.moderation import NetworkAction
from beacon_shared.network_calls import json_object, required
from beacon_shared.networks.mastodon import IDEMPOTENCY_KEY_TTL, MastodonApi
from ingest.actions.networks.base import Done, Target

# The instance keeps an Idempotency-Key for up to an hour; a retry must come well within it.
IDEMPOTENCY_WINDOW = IDEMPOTENCY_KEY_TTL - timedelta(minutes=10)


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
        api = MastodonApi(http, instance_url=base_url, clock=self._now)
        response = await api.call(
            "POST",
            "api/v1/statuses",
            token=token,
            creates=True,
            idempotency_key=str(target.action_id),
            data={"status": _addressed(target), "in_reply_to_id": target.external_id},
        )
        body = json_object(response)
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
