"""Every classification of a comment, in one pass over a batch."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from moderation.classify import models as models_package
from moderation.classify.features import (
    FRENCH_TONE_FILE,
    Featurizer,
    load_french_tone,
    load_static_table,
)
from moderation.classify.heads import load_heads
from moderation.classify.inputs import inputs_of
from moderation.classify.intent import intents_of
from moderation.classify.language import LanguageDetector
from moderation.classify.sentiment import Sentiment, SentimentModel
from moderation.classify.signals import Signals, signals_of
from moderation.classify.spam import (
    COPIES_MIN_AUTHORS,
    COPIES_WEIGHT,
    combined,
    head_spam,
    spam_score,
)
from moderation.classify.text import fingerprint, normalise
from moderation.classify.toxicity import undisguise

MODELS_DIR = Path(models_package.__file__).parent
STATIC_FILE = "static.npz"
HEADS_FILE = "heads.npz"
KINDS = ("insult", "threat", "hate", "obscene")
SENTIMENTS: tuple[Sentiment, ...] = ("negative", "neutral", "positive")
HEAD_NAMES = ("toxic_en", "toxic_fr", *KINDS, "spam", "sentiment")
# Languages with a toxicity head of their own; any other reads the English one (the static
# vectors are multilingual, so it still reads their words).
TOXICITY_HEADS = {"fr": "toxic_fr"}
# Names the models and rules behind the scores; stored with every decision. `make
# train-moderation` writes it into the heads file; change it when the models change.
MODEL_VERSION = "shared-2026.12.3"


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
    # insult, threat, hate, obscene: each in [0, 1], for rules to act on one kind.
    toxicity_kinds: Mapping[str, float] = field(default_factory=dict)
    # Which stage decided: "fast" (every comment), "slow" (the uncertain band was judged again)
    # or "shed" (it was uncertain, but the slow stage was full: the fast verdict stands).
    stage: str = "fast"


class Classifier:
    """Loads its models once (a second or two); then `classify_many` never raises on text.

    A missing or corrupt model file raises `ModelFileError` here, so a worker stops at start.
    """

    def __init__(self, models_dir: Path = MODELS_DIR) -> None:
        self._languages = LanguageDetector()
        self._sentiment = SentimentModel()
        table = load_static_table(models_dir / STATIC_FILE)
        self._heads = load_heads(models_dir / HEADS_FILE, required=HEAD_NAMES)
        self._featurizer = Featurizer(table, load_french_tone(models_dir / FRENCH_TONE_FILE))
        self.model_version = self._heads.version

    def classify(self, text: str) -> Classification:
        return self.classify_many([text])[0]

    def classify_many(self, texts: Sequence[str]) -> list[Classification]:
        if not texts:
            return []
        normalised = [normalise(text) for text in texts]
        languages = [self._languages.detect(text) for text in normalised]
        signals = [signals_of(text) for text in normalised]
        clues = [spam_score(text, s) for text, s in zip(normalised, signals, strict=True)]
        vader = [self._sentiment.score(text) for text in normalised]
        inputs = inputs_of(
            self._featurizer,
            [undisguise(text) for text in normalised],
            spam_clues=[score for score, _ in clues],
            vader=[compound for _, compound in vader],
            languages=languages,
        )
        heads = self._heads
        by_language = {
            name: heads[name].probability(inputs.dense, inputs.ngrams)
            for name in ("toxic_en", *TOXICITY_HEADS.values())
        }
        head_toxicity = np.asarray(
            [
                by_language[TOXICITY_HEADS.get(lang, "toxic_en")][i]
                for i, lang in enumerate(languages)
            ]
        )
        # alt-profanity-check knows English swearing well; the heads know threats, hate and
        # French: either one finding offence is enough (noisy-OR).
        toxicity = 1.0 - (1.0 - inputs.profanity) * (1.0 - head_toxicity)
        kinds = {kind: heads[kind].probability(inputs.dense, inputs.ngrams) for kind in KINDS}
        # The clues alone are evidence enough for what they name (a crypto giveaway, an SMM
        # panel); the model adds what they miss.
        spam = np.maximum(
            head_spam(
                heads["spam"].decision(inputs.dense, inputs.ngrams)[:, 0],
                signals,
                heads.spam_shift,
            ),
            np.asarray([score for score, _ in clues], dtype=np.float32),
        )
        tone = heads["sentiment"].probability(inputs.dense, inputs.ngrams)
        results = []
        for i, text in enumerate(normalised):
            if languages[i] == "en":
                # On English, VADER still does better than the head (docs/moderation.md).
                label, tone_score = vader[i]
            else:
                label = SENTIMENTS[int(tone[i].argmax())]
                tone_score = float(tone[i][2] - tone[i][0])
            results.append(
                Classification(
                    language=languages[i],
                    toxicity=_unit(toxicity[i]),
                    spam=_unit(spam[i]),
                    spam_reasons=tuple(clues[i][1]),
                    sentiment=label,
                    sentiment_score=round(tone_score, 4),
                    intents=tuple(intents_of(text)),
                    signals=signals[i],
                    fingerprint=fingerprint(text),
                    model_version=self.model_version,
                    toxicity_kinds={kind: _unit(kinds[kind][i]) for kind in KINDS},
                )
            )
        return results


def _unit(value: float) -> float:
    return min(1.0, max(0.0, float(value)))


def with_copies(c: Classification, authors: int) -> Classification:
    """The classification once we know how many distinct authors posted the same text."""
    if authors < COPIES_MIN_AUTHORS:
        return c
    return replace(
        c,
        spam=combined(c.spam, COPIES_WEIGHT),
        spam_reasons=(*c.spam_reasons, "copied_by_many"),
    )
