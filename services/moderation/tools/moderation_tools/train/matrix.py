"""The rows the heads learn from and their features, computed as the classifier computes them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import sparse

from moderation.classify.features import Featurizer
from moderation.classify.inputs import inputs_of
from moderation.classify.language import LanguageDetector
from moderation.classify.sentiment import SentimentModel
from moderation.classify.signals import signals_of
from moderation.classify.spam import spam_score
from moderation.classify.text import normalise
from moderation.classify.toxicity import undisguise

FloatArray = npt.NDArray[np.float32]


@dataclass(frozen=True)
class Row:
    text: str
    lang: str
    group: str  # rows of one group stay in one cross-validation fold
    toxic: int = -1  # -1: not labelled for this task
    kinds: tuple[int, int, int, int] = (-1, -1, -1, -1)
    spam: int = -1
    sentiment: str = ""


@dataclass(frozen=True)
class Matrix:
    dense: FloatArray
    ngrams: sparse.csr_matrix

    def rows(self, index: npt.NDArray[np.int64]) -> Matrix:
        return Matrix(self.dense[index], self.ngrams[index])

    def stacked(self) -> sparse.csr_matrix:
        return sparse.hstack([sparse.csr_matrix(self.dense), self.ngrams], format="csr")


def featurize(featurizer: Featurizer, rows: Sequence[Row]) -> Matrix:
    languages = LanguageDetector()
    vader = SentimentModel()
    undisguised = [undisguise(normalise(r.text)) for r in rows]
    normalised = [normalise(r.text) for r in rows]
    inputs = inputs_of(
        featurizer,
        undisguised,
        spam_clues=[spam_score(n, signals_of(n))[0] for n in normalised],
        vader=[vader.score(n)[1] for n in normalised],
        languages=[languages.detect(n) for n in normalised],
    )
    return Matrix(inputs.dense, inputs.ngrams)
