"""What a brand model reads: the shared classifier's scores and hashed n-grams of the text.

The hashing keeps no vocabulary, so a model is its weights alone; a stored model names its
feature configuration, and the dense features are looked up by name, so a model trained before
a feature was added still scores (the new feature reads as absent).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from functools import lru_cache, partial

import numpy as np
import scipy.sparse as sp
from pydantic import BaseModel, ConfigDict
from sklearn.feature_extraction.text import HashingVectorizer

from moderation.classify import Classification
from moderation.classify.intent import INTENTS
from moderation.classify.language import EXPECTED
from moderation.classify.signals import LINK
from moderation.classify.spam import CLUES
from moderation.classify.text import normalise

# Bump when the meaning of a feature changes: models trained before are then retrained.
FEATURES_VERSION = 2

_MENTION = re.compile(r"(?<!\w)@\w+")


def _capped(count: int, cap: int = 3) -> float:
    return min(count, cap) / cap


def _dense_extractors() -> dict[str, Callable[[Classification, str], float]]:
    extractors: dict[str, Callable[[Classification, str], float]] = {
        "toxicity": lambda c, _t: c.toxicity,
        "spam": lambda c, _t: c.spam,
        "sentiment": lambda c, _t: c.sentiment_score,
        "links": lambda c, _t: _capped(c.signals.links),
        "shorteners": lambda c, _t: _capped(c.signals.shorteners),
        "emails": lambda c, _t: _capped(c.signals.emails),
        "phones": lambda c, _t: _capped(c.signals.phones),
        # Up to about a tweet's length; longer reads as long.
        "length": lambda _c, t: min(math.log1p(len(t)) / math.log1p(280), 1.0),
    }
    for intent in INTENTS:
        extractors[f"intent:{intent}"] = partial(_has_intent, intent)
    for reason in [clue.name for clue in CLUES] + ["link", "link_shortener", "contact_details"]:
        extractors[f"spam:{reason}"] = partial(_has_spam_reason, reason)
    for code in [lang.iso_code_639_1.name.lower() for lang in EXPECTED] + ["und"]:
        extractors[f"lang:{code}"] = partial(_in_language, code)
    return extractors


def _has_intent(intent: str, c: Classification, _text: str) -> float:
    return float(intent in c.intents)


def _has_spam_reason(reason: str, c: Classification, _text: str) -> float:
    return float(reason in c.spam_reasons)


def _in_language(code: str, c: Classification, _text: str) -> float:
    return float(c.language == code)


DENSE = _dense_extractors()


class FeatureConfig(BaseModel):
    """How texts and classifications become one row of features; stored with each model."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    version: int = FEATURES_VERSION
    dense: tuple[str, ...] = tuple(DENSE)
    word_ngrams: tuple[int, int] = (1, 2)
    word_features: int = 2**16
    char_ngrams: tuple[int, int] = (3, 5)
    char_features: int = 2**16

    @property
    def width(self) -> int:
        """The number of feature columns."""
        return len(self.dense) + self.word_features + self.char_features


def prepare(text: str) -> str:
    """The text the n-grams are taken from: normalised, with links and mentions as one token each.

    Links and handles are different in every comment; what matters is that one is there.
    """
    return _MENTION.sub(" @user ", LINK.sub(" httplink ", normalise(text)))


class Featuriser:
    """Turns (text, classification) pairs into a sparse float64 matrix of `config.width` columns."""

    def __init__(self, config: FeatureConfig) -> None:
        self.config = config
        self._dense = [DENSE.get(name) for name in config.dense]
        self._word = HashingVectorizer(
            analyzer="word",
            ngram_range=config.word_ngrams,
            n_features=config.word_features,
            token_pattern=r"(?u)\b\w+\b|@user",  # noqa: S106 (not a password)
            lowercase=False,
            alternate_sign=False,
            norm="l2",
        )
        self._char = HashingVectorizer(
            analyzer="char_wb",
            ngram_range=config.char_ngrams,
            n_features=config.char_features,
            lowercase=False,
            alternate_sign=False,
            norm="l2",
        )

    def transform(
        self, texts: Sequence[str], classifications: Sequence[Classification]
    ) -> sp.csr_matrix:
        """One row per text, in order."""
        if len(texts) != len(classifications):
            raise ValueError("one classification per text is needed")
        prepared = [prepare(text) for text in texts]
        dense = np.array(
            [
                [0.0 if f is None else f(c, t) for f in self._dense]
                for c, t in zip(classifications, prepared, strict=True)
            ],
            dtype=np.float64,
        ).reshape(len(texts), len(self._dense))
        return sp.hstack(
            [
                sp.csr_matrix(dense),
                self._word.transform(prepared),
                self._char.transform(prepared),
            ],
            format="csr",
        )


@lru_cache(maxsize=8)
def featuriser_for(config: FeatureConfig) -> Featuriser:
    """One featuriser per configuration (they hold no state but cost a little to build)."""
    return Featuriser(config)
