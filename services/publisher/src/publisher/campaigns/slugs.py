"""The default utm_campaign of a campaign: a slug of its name."""

from __future__ import annotations

import unicodedata

MAX_LENGTH = 100
# Latin letters NFKD does not take apart.
_FOLD = {"ß": "ss", "æ": "ae", "ø": "o", "œ": "oe", "đ": "d", "ł": "l", "þ": "th", "\u0131": "i"}


def slugify(name: str) -> str:
    """Lowercase words joined by "-", accents dropped: "Été à Paris!" gives "ete-a-paris".

    Letters of other scripts are kept ("春のセール" stays readable in reports); a name of no
    letters or digits at all gives "", for the caller to replace.
    """
    words: list[str] = []
    word: list[str] = []
    for char in unicodedata.normalize("NFKC", name.lower()):
        if _in_word(char):
            word.append(_fold(char))
        elif word:
            words.append("".join(word))
            word = []
    if word:
        words.append("".join(word))
    return "-".join(words)[:MAX_LENGTH].strip("-")


def _in_word(char: str) -> bool:
    # Marks belong to their letter (Devanagari vowel signs, for one).
    return char.isalnum() or unicodedata.category(char).startswith("M")


def _fold(char: str) -> str:
    if char.isascii():
        return char
    if char in _FOLD:
        return _FOLD[char]
    # "é" is "e" and a combining accent; a letter with no ASCII base (Kana, Han) stays itself.
    base = unicodedata.normalize("NFKD", char).encode("ascii", "ignore").decode()
    return base.lower() if base.isalnum() else char
