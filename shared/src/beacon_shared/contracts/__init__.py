"""Published event contracts, one module per producing service; changes are additive only."""

from __future__ import annotations

from beacon_shared.contracts import analytics, inbox, ingest, moderation, publisher, workspace
from beacon_shared.contracts.topics import ALL_TOPICS, TOPICS
from beacon_shared.events import EventPayload

EVENT_TYPES: dict[str, type[EventPayload]] = {
    model.event_type: model
    for module in (ingest, moderation, publisher, analytics, workspace, inbox)
    for model in vars(module).values()
    if isinstance(model, type) and issubclass(model, EventPayload) and model is not EventPayload
}

__all__ = ["ALL_TOPICS", "EVENT_TYPES", "TOPICS"]
