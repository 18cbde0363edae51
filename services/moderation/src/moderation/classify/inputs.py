"""Everything the heads read of a batch, computed once: the featurizer's matrices and the scores
of the packages and rules the heads build on (alt-profanity-check, VADER, the spam clues)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from profanity_check import predict_prob
from scipy import sparse

from moderation.classify.features import Featurizer, model_text

FloatArray = npt.NDArray[np.float32]
# The inputs after the featurizer's dense part, in this order.
EXTRA_INPUTS = ("profanity_check", "spam_clues", "vader", "french")


@dataclass(frozen=True)
class Inputs:
    dense: FloatArray
    ngrams: sparse.csr_matrix
    profanity: FloatArray


def inputs_of(
    featurizer: Featurizer,
    undisguised: Sequence[str],
    *,
    spam_clues: Sequence[float],
    vader: Sequence[float],
    languages: Sequence[str],
) -> Inputs:
    """The heads' inputs for undisguised, normalised texts."""
    texts = [model_text(text) for text in undisguised]
    profanity = (
        np.asarray(predict_prob(list(undisguised)), dtype=np.float32)
        if undisguised
        else np.zeros(0, dtype=np.float32)
    )
    extra = np.column_stack(
        [
            profanity,
            np.asarray(spam_clues, dtype=np.float32),
            np.asarray(vader, dtype=np.float32),
            np.asarray([lang == "fr" for lang in languages], dtype=np.float32),
        ]
    ).astype(np.float32)
    dense = np.hstack([featurizer.dense(texts), extra.reshape(len(texts), len(EXTRA_INPUTS))])
    return Inputs(dense=dense, ngrams=featurizer.ngrams(texts), profanity=profanity)
