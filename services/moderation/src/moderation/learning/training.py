"""Training a brand's model from its labels, and the model as stored and scored.

A class-weighted logistic regression over `features.Featuriser` columns. Its decision threshold
is the one that maximises F1 on out-of-fold scores (stratified k-fold over the brand's labels),
and the metrics reported with the model are those out-of-fold figures at that threshold.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from pydantic import BaseModel, ConfigDict
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import precision_recall_curve, roc_auc_score
from sklearn.model_selection import StratifiedKFold

from moderation.classify import Classification
from moderation.learning.features import FeatureConfig, featuriser_for

MIN_PER_LABEL = 20  # fewer of either label and the brand keeps the shared classifier alone
FOLDS = 5
# Inverse L2 strength; chosen by cross-validation on the training halves of the dev sets.
C = 1.0
SEED = 20261124
INDEX_DTYPE = np.dtype("<i4")
VALUE_DTYPE = np.dtype("<f4")


class CrossValidated(BaseModel):
    """Out-of-fold figures at the chosen threshold (a little optimistic: it was chosen on them)."""

    model_config = ConfigDict(frozen=True)

    folds: int
    precision: float
    recall: float
    f1: float
    roc_auc: float


@dataclass(frozen=True)
class LinearModel:
    """A trained model: sparse weights over the configured features, a bias and a threshold."""

    config: FeatureConfig
    indices: npt.NDArray[np.int32]
    values: npt.NDArray[np.float32]
    intercept: float
    threshold: float

    def scores(
        self, texts: Sequence[str], classifications: Sequence[Classification]
    ) -> list[float]:
        """The probability that each text is one the brand removes."""
        if not texts:
            return []
        return self.scores_of(featuriser_for(self.config).transform(texts, classifications))

    def scores_of(self, features: sp.csr_matrix) -> list[float]:
        """`scores` of already computed features."""
        # A dot product against the non-zero weights only: look each present column up in the
        # sorted weight indices instead of holding a dense vector per brand in memory.
        columns = features.indices
        found = np.searchsorted(self.indices, columns)
        found[found == len(self.indices)] = 0
        hit = self.indices[found] == columns
        products = np.where(hit, self.values[found] * features.data, 0.0)
        rows = np.repeat(np.arange(features.shape[0]), np.diff(features.indptr))
        margin = np.bincount(rows, weights=products, minlength=features.shape[0]) + self.intercept
        return [float(p) for p in 1.0 / (1.0 + np.exp(-margin))]

    def index_bytes(self) -> bytes:
        """The weight indices as stored (little-endian int32)."""
        return self.indices.astype(INDEX_DTYPE).tobytes()

    def value_bytes(self) -> bytes:
        """The weights as stored (little-endian float32)."""
        return self.values.astype(VALUE_DTYPE).tobytes()

    @classmethod
    def from_bytes(
        cls,
        *,
        config: FeatureConfig,
        index: bytes,
        value: bytes,
        intercept: float,
        threshold: float,
    ) -> LinearModel:
        """A stored model."""
        return cls(
            config=config,
            indices=np.frombuffer(index, dtype=INDEX_DTYPE).astype(np.int32),
            values=np.frombuffer(value, dtype=VALUE_DTYPE).astype(np.float32),
            intercept=intercept,
            threshold=threshold,
        )


@dataclass(frozen=True)
class Trained:
    """A model and how it did in cross-validation."""

    model: LinearModel
    metrics: CrossValidated
    removes: int
    keeps: int


def enough_labels(removes: int, keeps: int) -> bool:
    """Whether a brand has enough of each label to train."""
    return min(removes, keeps) >= MIN_PER_LABEL


def train(
    texts: Sequence[str],
    classifications: Sequence[Classification],
    remove: Sequence[bool],
    *,
    config: FeatureConfig | None = None,
) -> Trained | None:
    """Fit a brand's model on its labels; None below MIN_PER_LABEL of either label."""
    config = config or FeatureConfig()
    y = np.asarray(remove, dtype=bool)
    removes, keeps = int(y.sum()), int((~y).sum())
    if not enough_labels(removes, keeps):
        return None
    features = featuriser_for(config).transform(texts, classifications)
    out_of_fold = np.zeros(len(y))
    folds = StratifiedKFold(n_splits=FOLDS, shuffle=True, random_state=SEED)
    for train_rows, test_rows in folds.split(np.zeros(len(y)), y):
        fold = _fit(features[train_rows], y[train_rows])
        out_of_fold[test_rows] = fold.predict_proba(features[test_rows])[:, 1]
    threshold, metrics = best_threshold(y, out_of_fold)
    fitted = _fit(features, y)
    coef = fitted.coef_.ravel()
    indices = np.flatnonzero(coef).astype(np.int32)
    model = LinearModel(
        config=config,
        indices=indices,
        values=coef[indices].astype(np.float32),
        intercept=float(fitted.intercept_[0]),
        threshold=threshold,
    )
    return Trained(model=model, metrics=metrics, removes=removes, keeps=keeps)


def _fit(features: sp.csr_matrix, y: npt.NDArray[np.bool_]) -> LogisticRegression:
    model = LogisticRegression(
        C=C, class_weight="balanced", solver="liblinear", max_iter=1000, random_state=SEED
    )
    model.fit(features, y)
    return model


def best_threshold(
    y: npt.NDArray[np.bool_], scores: npt.NDArray[np.float64]
) -> tuple[float, CrossValidated]:
    """The threshold with the highest F1 (the highest among ties) and its figures.

    Any threshold between that score and the next lower one predicts the same on these labels;
    the one halfway leaves the most room on both sides for comments not seen yet.
    """
    precision, recall, thresholds = precision_recall_curve(y, scores)
    # The last point (recall 0) has no threshold.
    precision, recall = precision[:-1], recall[:-1]
    denominator = precision + recall
    f1 = np.divide(
        2 * precision * recall, denominator, out=np.zeros_like(denominator), where=denominator > 0
    )
    best = int(np.flatnonzero(f1 == f1.max())[-1])
    below = float(thresholds[best - 1]) if best > 0 else 0.0
    return (below + float(thresholds[best])) / 2, CrossValidated(
        folds=FOLDS,
        precision=round(float(precision[best]), 4),
        recall=round(float(recall[best]), 4),
        f1=round(float(f1[best]), 4),
        roc_auc=round(float(roc_auc_score(y, scores)), 4),
    )
