"""Analytics's worker: `python -m analytics.worker` counts the platform's events."""

from __future__ import annotations

from analytics.config import Settings
from analytics.counters.handlers import BATCH_HANDLERS
from analytics.db import inbox
from analytics.responses.handlers import action_completed
from beacon_shared.consumer import Consumer
from beacon_shared.contracts.ingest import ActionCompleted
from beacon_shared.contracts.topics import (
    ACTION_COMPLETED,
    ALL_TOPICS,
    COMMENT_MODERATED,
    COMMENT_RECEIVED,
    ENGAGEMENT_RECORDED,
    POST_PUBLISHED,
    POST_SCHEDULED,
)
from beacon_shared.worker import WorkerSpec, worker_main

GROUP_ID = "analytics.events"


def events_consumer() -> Consumer:
    """The group counting every event analytics understands, a batch at a time."""
    return Consumer(
        group_id=GROUP_ID,
        topics=[
            t.name
            for t in (
                COMMENT_RECEIVED,
                ENGAGEMENT_RECORDED,
                COMMENT_MODERATED,
                POST_SCHEDULED,
                POST_PUBLISHED,
                ACTION_COMPLETED,
            )
        ],
        batch_handlers={**BATCH_HANDLERS, ActionCompleted.event_type: action_completed},
    )


def spec() -> WorkerSpec:
    """What analytics's worker runs; it publishes nothing, so it has no outbox relay."""
    return WorkerSpec(topics=ALL_TOPICS, inbox=inbox, consumers=[events_consumer()])


if __name__ == "__main__":
    worker_main(Settings(), spec())
