"""Which words get a static vector: the frequent words of the training texts, the encoder's own
whole-word pieces in Latin script (its most probable first: common words of English, French and
their neighbours, beyond what the training texts hold), and short sub-word pieces that back up
any other word."""

from __future__ import annotations

import unicodedata
from collections import Counter
from collections.abc import Iterable

import numpy as np
import numpy.typing as npt

from moderation.classify.words import WORD

WORD_PIECES = 16_000  # whole-word pieces, most probable first
SUBWORD_PIECES = 3_000  # pieces inside words (suffixes, stems), most probable first
CORPUS_MIN_COUNT = 2
EMOJI_PIECES = 600
_META = "\u2581"  # SentencePiece's word-start mark


def latin_word(text: str) -> bool:
    return (
        len(text) >= 1
        and text == text.casefold()
        and all(c.isalpha() and "LATIN" in unicodedata.name(c, "") for c in text)
    )


def vocabulary(
    texts: Iterable[str],
    pieces: list[str],
    scores: npt.NDArray[np.float32],
    extra: Iterable[str] = (),
) -> tuple[list[str], list[str]]:
    """(words, sub-word pieces), each sorted: what the static table holds."""
    counts: Counter[str] = Counter()
    for text in texts:
        counts.update(WORD.findall(text))
    words = {w for w, n in counts.items() if n >= CORPUS_MIN_COUNT and len(w) <= 30}
    words.update(extra)
    order = np.argsort(-scores, kind="stable")
    whole, emoji = 0, 0
    inner: set[str] = set()
    for index in order:
        piece = pieces[int(index)]
        if piece.startswith(_META):
            word = piece[1:]
            if whole < WORD_PIECES and len(word) >= 2 and latin_word(word):
                if word not in words:
                    words.add(word)
                whole += 1
            elif (
                emoji < EMOJI_PIECES
                and len(word) == 1
                and WORD.fullmatch(word)
                and not word.isalnum()
            ):
                words.add(word)
                emoji += 1
        elif len(inner) < SUBWORD_PIECES and len(piece) >= 2 and latin_word(piece):
            inner.add(piece)
    letters = {c for w in words for c in w if c.isalpha() and "LATIN" in unicodedata.name(c, "")}
    inner.update(letters)  # every Latin word can be spelled from the pieces
    return sorted(words), sorted(inner - words)
