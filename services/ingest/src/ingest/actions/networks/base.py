"""What every network client takes and returns, and the failures the executor tells apart."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import ClassVar, Protocol
from uuid import UUID

import httpx

from beacon_shared.contracts.common import Network
from beacon_shared.contracts.moderation import NetworkAction
from beacon_shared.network_calls import NetworkCallError


@dataclass(frozen=True)
class Target:
    """What a client acts on, and as whom."""

    action_id: UUID
    action: NetworkAction
    external_id: str
    thread_external_id: str | None
    reply_text: str | None
    # The comment author's handle, for networks whose replies must name them (Mastodon).
    author_handle: str | None
    # The connected account's own id on the network (Page id, X user id, Bluesky DID…).
    account_external_id: str
    # A reply to a private message is a message to its author, not a comment: to whom, and
    # Meta's tag when only the HUMAN_AGENT window allows it (`beacon_shared.messaging`).
    private: bool = False
    recipient_external_id: str | None = None
    message_tag: str | None = None


@dataclass(frozen=True)
class Done:
    """The network did it; a reply's id on the network when it is one."""

    reply_external_id: str | None = None


class Unsupported(NetworkCallError):
    """The network offers no way to do this."""


class NetworkClient(Protocol):
    """Carries out actions on one network with a connected account's credentials."""

    network: ClassVar[Network]
    # Whether it acts as a connected account, with its credentials (all but the sandbox).
    needs_account: ClassVar[bool]

    def unsupported(self, action: NetworkAction) -> str | None:
        """Why the network cannot do `action`; None when it can."""
        ...

    def idempotency_window(self, action: NetworkAction) -> timedelta | None:
        """How long the network dedupes a repeated request of `action` (an idempotency key);
        None when it does not, so a request whose outcome is unknown must not be sent again."""
        ...

    async def perform(
        self, http: httpx.AsyncClient, credentials: Mapping[str, str], target: Target
    ) -> Done:
        """Do it, or raise a NetworkCallError saying why not."""
        ...
