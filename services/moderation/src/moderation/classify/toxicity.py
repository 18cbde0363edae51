"""Toxicity: alt-profanity-check's English model (a linear SVM on bag-of-words, shipped in the
package), scored on text whose digit-for-letter disguises ("1d10t") are undone.

It knows English only: French comments get a score but it does not separate offensive from
normal French (see docs/moderation.md).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from profanity_check import predict_prob

# Digits and signs standing for letters, inside words that also hold letters ("1d10t", "@ss").
_LEET = str.maketrans(
    {"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s"}
)
_DISGUISED = re.compile(r"\b(?=[\w@$]*[a-z])(?=[\w@$]*[013457@$])[\w@$]+\b")


def undisguise(text: str) -> str:
    """The text with letter-standing digits and signs read as the letters they stand for."""
    return _DISGUISED.sub(lambda m: m.group(0).translate(_LEET), text)


def toxicity_scores(texts: Sequence[str]) -> list[float]:
    """Probabilities in [0, 1]; a batch costs far less per text than one at a time."""
    if not texts:
        return []
    return [float(p) for p in predict_prob([undisguise(t) for t in texts])]
