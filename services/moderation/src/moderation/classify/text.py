"""Text normalisation shared by rules, so look-alike and invisible characters cannot dodge them."""

from __future__ import annotations

import re
import unicodedata

# Zero-width and other invisible format characters that split words without showing.
_INVISIBLE = re.compile("[\u00ad\u034f\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]")
_WHITESPACE = re.compile(r"\s+")


def normalise(text: str) -> str:
    """Casefolded NFKC text without invisible characters and with single spaces."""
    visible = _INVISIBLE.sub("", text)
    folded = unicodedata.normalize("NFKC", visible).casefold()
    return _WHITESPACE.sub(" ", folded).strip()
