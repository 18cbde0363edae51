"""The sandbox network of tests and the demo: every action succeeds, nothing leaves the process."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import ClassVar

import httpx

from beacon_shared.contracts.common import Network
from beacon_shared.contracts.moderation import NetworkAction
from ingest.actions.networks.base import Done, Target


class SandboxClient:
    """Succeeds at once; a reply gets a synthetic id derived from the action's."""

    network: ClassVar[Network] = Network.sandbox
    # Tests and the demo act on comments that reached no connected account.
    needs_account: ClassVar[bool] = False

    def unsupported(self, action: NetworkAction) -> str | None:
        """The sandbox does everything."""
        return None

    def idempotency_window(self, action: NetworkAction) -> timedelta | None:
        """Nothing is sent anywhere, so nothing can be doubled."""
        return timedelta.max

    async def perform(
        self, http: httpx.AsyncClient, credentials: Mapping[str, str], target: Target
    ) -> Done:
        """Done, without a network call."""
        if target.action is NetworkAction.reply:
            return Done(reply_external_id=f"sandbox-reply-{target.action_id}")
        return Done()
