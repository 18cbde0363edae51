"""Analytics fixtures: envelopes of the events analytics counts, for one test tenant."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from beacon_shared.contracts.common import Author, Network
from beacon_shared.contracts.ingest import (
    ActionCompleted,
    ActionOutcome,
    CommentReceived,
    EngagementRecorded,
    InteractionKind,
)
from beacon_shared.contracts.moderation import CommentModerated, ModerationAction
from beacon_shared.contracts.publisher import (
    PostPublished,
    PostScheduled,
    PostTarget,
    ScheduleChange,
)
from beacon_shared.events import Envelope, EventPayload

AT = datetime(2026, 11, 24, 10, 15, 42, tzinfo=UTC)


class Events:
    """Builds envelopes for one tenant, as their producers would."""

    def __init__(self, tenant_id: str) -> None:
        self.tenant_id = tenant_id

    def _envelope(self, payload: EventPayload, source: str) -> Envelope:
        return Envelope.build(
            payload, tenant_id=self.tenant_id, subject=str(uuid.uuid4()), source=source
        )

    def comment(
        self,
        *,
        kind: InteractionKind = InteractionKind.comment,
        brand_id: str | None = "brand-a",
        created_at: datetime = AT,
    ) -> Envelope:
        payload = CommentReceived(
            interaction_id=uuid.uuid4(),
            brand_id=brand_id,
            network=Network.custom,
            kind=kind,
            external_id=uuid.uuid4().hex,
            author=Author(network_id="u-1"),
            text="hello",
            created_at=created_at,
            received_at=created_at,
        )
        return self._envelope(payload, "/beacon/ingest")

    def engagement(
        self, *, kind: InteractionKind = InteractionKind.reaction, created_at: datetime = AT
    ) -> Envelope:
        payload = EngagementRecorded(
            interaction_id=uuid.uuid4(),
            brand_id="brand-a",
            network=Network.custom,
            kind=kind,
            external_id=uuid.uuid4().hex,
            author=Author(network_id="u-2"),
            created_at=created_at,
            received_at=created_at,
        )
        return self._envelope(payload, "/beacon/ingest")

    def decision(
        self,
        *,
        action: ModerationAction = ModerationAction.hide,
        decided_at: datetime = AT,
        **revision: Any,
    ) -> Envelope:
        payload = CommentModerated(
            **revision,
            decision_id=uuid.uuid4(),
            interaction_id=uuid.uuid4(),
            brand_id="brand-a",
            network=Network.custom,
            external_id=uuid.uuid4().hex,
            action=action,
            decided_by="rule:placeholder",
            decided_at=decided_at,
        )
        return self._envelope(payload, "/beacon/moderation")

    def reply_completed(
        self,
        *,
        interaction_id: uuid.UUID,
        commented_at: datetime,
        completed_at: datetime,
        outcome: ActionOutcome = ActionOutcome.succeeded,
        action: str = "reply",
    ) -> Envelope:
        payload = ActionCompleted(
            action_id=uuid.uuid4(),
            interaction_id=interaction_id,
            brand_id="brand-a",
            network=Network.facebook,
            external_id=uuid.uuid4().hex,
            action=action,
            outcome=outcome,
            attempts=1,
            requested_by="user:ann",
            comment_created_at=commented_at,
            completed_at=completed_at,
        )
        return self._envelope(payload, "/beacon/ingest")

    def scheduled(self, *, change: ScheduleChange = ScheduleChange.scheduled) -> Envelope:
        payload = PostScheduled(
            post_id=uuid.uuid4(),
            brand_id="brand-a",
            change=change,
            scheduled_at=AT,
            targets=[PostTarget(target_id=uuid.uuid4(), account_id="acc", network=Network.sandbox)],
        )
        return self._envelope(payload, "/beacon/publisher")

    def published(
        self, *, network: Network = Network.sandbox, published_at: datetime = AT
    ) -> Envelope:
        payload = PostPublished(
            post_id=uuid.uuid4(),
            target_id=uuid.uuid4(),
            brand_id="brand-a",
            account_id="acc",
            network=network,
            external_id=uuid.uuid4().hex,
            scheduled_at=published_at,
            published_at=published_at,
        )
        return self._envelope(payload, "/beacon/publisher")


@pytest.fixture
def events(unique: Callable[[str], str]) -> Events:
    """Envelope builders for a fresh tenant."""
    return Events(unique("tenant"))
