"""How every model of the classifier cuts a normalised text into words.

Letters (any script), runs of digits, and emoji each make a word; apostrophes and hyphens split
("l'équipe" → "l", "équipe"). The static vectors are keyed by these words, so training and
scoring must cut texts the same way.
"""

from __future__ import annotations

import re

WORD = re.compile(r"[^\W\d_]+|\d+|[\U0001f300-\U0001faff\u2600-\u27bf]")


def words_of(text: str) -> list[str]:
    """The words of a normalised text, in order."""
    return WORD.findall(text)
