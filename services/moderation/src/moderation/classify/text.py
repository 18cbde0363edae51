"""Text normalisation shared by rules, so look-alike and invisible characters cannot dodge them."""

from __future__ import annotations

import hashlib
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


_NOT_WORD = re.compile(r"[\W_]+")
# Shorter texts ("love it!", "first") are said by many people in good faith.
FINGERPRINT_MIN_CHARS = 30


def fingerprint(normalised: str) -> str | None:
    """Of a `normalise`d text: the same words in any case, spacing, punctuation or disguise give
    the same value; None for texts too short to tell a campaign from common phrases."""
    words = _NOT_WORD.sub(" ", normalised).strip()
    if len(words) < FINGERPRINT_MIN_CHARS:
        return None
    return hashlib.blake2b(words.encode(), digest_size=12).hexdigest()
