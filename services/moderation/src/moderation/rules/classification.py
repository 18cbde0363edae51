"""A classification as stored with each comment (`comment.classification`), and back.

One format for both sides: the code that stores comments writes `classification_to_json`, and
rule dry-runs read it back with `classification_from_json`, so a replay sees what the live
decision saw.
"""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import BaseModel, ConfigDict, JsonValue, ValidationError

from beacon_shared.logging import get_logger
from moderation.classify import Classification
from moderation.classify.sentiment import Sentiment
from moderation.classify.signals import Signals

log = get_logger(__name__)


class _StoredSignals(BaseModel):
    model_config = ConfigDict(extra="ignore")

    links: int
    shorteners: int
    emails: int
    phones: int


class _StoredClassification(BaseModel):
    model_config = ConfigDict(extra="ignore")

    language: str
    toxicity: float
    spam: float
    spam_reasons: list[str]
    sentiment: Sentiment
    sentiment_score: float
    intents: list[str]
    signals: _StoredSignals
    model_version: str
    # Written since the shared models of 2026-12 (absent from older rows).
    toxicity_kinds: dict[str, float] = {}
    stage: str = "fast"


def classification_to_json(c: Classification) -> dict[str, JsonValue]:
    """The JSON object stored in `comment.classification`."""
    return {
        "language": c.language,
        "toxicity": c.toxicity,
        "spam": c.spam,
        "spam_reasons": list(c.spam_reasons),
        "sentiment": c.sentiment,
        "sentiment_score": c.sentiment_score,
        "intents": list(c.intents),
        "signals": {
            "links": c.signals.links,
            "shorteners": c.signals.shorteners,
            "emails": c.signals.emails,
            "phones": c.signals.phones,
        },
        "model_version": c.model_version,
        "toxicity_kinds": dict(c.toxicity_kinds),
        "stage": c.stage,
    }


def classification_from_json(data: Mapping[str, object] | None) -> Classification | None:
    """The stored classification, or None when there is none (`{}`) or it is unreadable."""
    if not data:
        return None
    try:
        stored = _StoredClassification.model_validate(data)
    except ValidationError as exc:
        log.warning("rules.classification_unreadable", errors=exc.error_count())
        return None
    return Classification(
        language=stored.language,
        toxicity=stored.toxicity,
        spam=stored.spam,
        spam_reasons=tuple(stored.spam_reasons),
        sentiment=stored.sentiment,
        sentiment_score=stored.sentiment_score,
        intents=tuple(stored.intents),
        signals=Signals(
            links=stored.signals.links,
            shorteners=stored.signals.shorteners,
            emails=stored.signals.emails,
            phones=stored.signals.phones,
        ),
        model_version=stored.model_version,
        toxicity_kinds=stored.toxicity_kinds,
        stage=stored.stage,
    )
