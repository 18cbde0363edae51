"""What the executor works with: a claimed action, as stored."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Row

from beacon_shared.contracts.common import Network
from beacon_shared.contracts.ingest import InteractionKind
from beacon_shared.contracts.moderation import NetworkAction


@dataclass(frozen=True)
class ClaimedAction:
    """A pending action held by one executor until `lease` is released or the hold expires."""

    id: UUID
    tenant_id: str
    brand_id: str | None
    account_id: str | None
    decision_id: UUID | None
    interaction_id: UUID
    network: Network
    external_id: str
    thread_external_id: str | None
    action: NetworkAction
    reply_text: str | None
    author_handle: str | None
    kind: InteractionKind | None
    recipient_external_id: str | None
    last_inbound_at: datetime | None
    human_agent: bool
    requested_by: str
    comment_created_at: datetime
    request_event_id: UUID
    correlation_id: str | None
    attempts: int
    last_error: str | None
    # Set when the previous call's outcome was never recorded (its worker died mid-call).
    attempt_started_at: datetime | None
    first_attempt_at: datetime | None
    uncertain_since: datetime | None
    created_at: datetime
    lease: UUID

    @classmethod
    def from_row(cls, row: Row[Any]) -> ClaimedAction:
        """From a repository row of every network_action column."""
        values = dict(row._mapping)
        return cls(
            **{name: values[name] for name in cls.__dataclass_fields__ if name in values},
        )

    def __post_init__(self) -> None:
        # Rows hold plain text; the executor compares enum members.
        object.__setattr__(self, "network", Network(self.network))
        object.__setattr__(self, "action", NetworkAction(self.action))
        if self.kind is not None:
            object.__setattr__(self, "kind", InteractionKind(self.kind))

    @property
    def private(self) -> bool:
        """Whether the interaction acted on is a private message."""
        return self.kind is InteractionKind.direct_message
