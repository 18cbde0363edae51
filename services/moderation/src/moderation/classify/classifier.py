"""Every classification of a comment, in one pass over a batch."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from moderation.classify.intent import intents_of
from moderation.classify.language import LanguageDetector
from moderation.classify.sentiment import Sentiment, SentimentModel
from moderation.classify.signals import Signals, signals_of
from moderation.classify.spam import COPIES_MIN_AUTHORS, COPIES_WEIGHT, combined, spam_score
from moderation.classify.text import fingerprint, normalise
from moderation.classify.toxicity import toxicity_scores

# Names the models and rules behind the scores; stored with every decision.
MODEL_VERSION = "baseline-2026.11"


@dataclass(frozen=True)
class Classification:
    language: str
    toxicity: float
    spam: float
    spam_reasons: tuple[str, ...]
    sentiment: Sentiment
    sentiment_score: float
    intents: tuple[str, ...]
    signals: Signals
    # classify.text.fingerprint of the text: finds the same text posted by many authors. Not
    # stored with the classification (the comment row keeps it in a column of its own).
    fingerprint: str | None = None
    model_version: str = MODEL_VERSION


class Classifier:
    """Loads its models once (about a second); then `classify_many` never raises on text."""

    def __init__(self) -> None:
        self._languages = LanguageDetector()
        self._sentiment = SentimentModel()

    def classify(self, text: str) -> Classification:
        return self.classify_many([text])[0]

    def classify_many(self, texts: Sequence[str]) -> list[Classification]:
        normalised = [normalise(text) for text in texts]
        toxicity = toxicity_scores(normalised)
        results = []
        for text, tox in zip(normalised, toxicity, strict=True):
            signals = signals_of(text)
            spam, reasons = spam_score(text, signals)
            sentiment, compound = self._sentiment.score(text)
            results.append(
                Classification(
                    language=self._languages.detect(text),
                    toxicity=tox,
                    spam=spam,
                    spam_reasons=tuple(reasons),
                    sentiment=sentiment,
                    sentiment_score=compound,
                    intents=tuple(intents_of(text)),
                    signals=signals,
                    fingerprint=fingerprint(text),
                )
            )
        return results


def with_copies(c: Classification, authors: int) -> Classification:
    """The classification once we know how many distinct authors posted the same text."""
    if authors < COPIES_MIN_AUTHORS:
        return c
    return replace(
        c,
        spam=combined(c.spam, COPIES_WEIGHT),
        spam_reasons=(*c.spam_reasons, "copied_by_many"),
    )
