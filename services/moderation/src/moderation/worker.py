"""Moderation's worker: `python -m moderation.worker` moderates comments, relays the outbox,
closes the review items of conversations the inbox resolved and erases authors' comments on
request."""

from __future__ import annotations

import sys

from beacon_shared.contracts.topics import (
    ACTION_COMPLETED,
    ACTION_REQUESTED,
    ALERT_RAISED,
    ALERT_RESOLVED,
    COMMENT_MODERATED,
    COMMENT_RECEIVED,
    CONVERSATION_RESOLVED,
    ERASURE_COMPLETED,
    ERASURE_REQUESTED,
)
from beacon_shared.worker import WorkerSpec, worker_main
from moderation.actions.handlers import outcomes_consumer
from moderation.alerts.handlers import alerts_consumer
from moderation.classify import Classifier
from moderation.classify.features import ModelFileError
from moderation.config import Settings
from moderation.db import inbox, outbox
from moderation.learning.jobs import retrain_job
from moderation.pipeline.decider import RuleDecider
from moderation.pipeline.handlers import comments_consumer
from moderation.pipeline.service import Decider
from moderation.privacy.handlers import erasures_consumer
from moderation.review.handlers import inbox_resolutions_consumer


def spec(decider: Decider | None = None, settings: Settings | None = None) -> WorkerSpec:
    """What moderation's worker runs; the decider defaults to the classifier and brands' rules.

    Brand models are retrained in the background with the same loaded classifier.
    """
    models_dir = settings.models_dir if settings is not None else None
    classifier = Classifier() if models_dir is None else Classifier(models_dir)
    return WorkerSpec(
        topics=[
            COMMENT_RECEIVED,
            COMMENT_MODERATED,
            ACTION_REQUESTED,
            ACTION_COMPLETED,
            ALERT_RAISED,
            ALERT_RESOLVED,
            ERASURE_REQUESTED,
            ERASURE_COMPLETED,
            CONVERSATION_RESOLVED,
        ],
        outbox=outbox,
        inbox=inbox,
        consumers=[
            comments_consumer(decider or RuleDecider(classifier)),
            outcomes_consumer(),
            alerts_consumer(),
            erasures_consumer(),
            inbox_resolutions_consumer(),
        ],
        jobs=lambda ctx: [retrain_job(ctx, classifier=classifier)],
    )


def main() -> None:
    """Start the worker; a missing or corrupt model file stops it here, before it consumes."""
    settings = Settings()
    try:
        worker_spec = spec(settings=settings)
    except ModelFileError as exc:
        sys.stderr.write(f"moderation worker not started: {exc}\n")
        raise SystemExit(3) from exc
    worker_main(settings, worker_spec)


if __name__ == "__main__":
    main()
