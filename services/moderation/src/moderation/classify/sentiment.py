"""Sentiment from VADER (a lexicon and rules, made for social media English), cut at the
thresholds its authors recommend (beacon_shared.contracts.moderation.sentiment_label)."""

from __future__ import annotations

import re

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from beacon_shared.contracts.moderation import Sentiment, sentiment_label

__all__ = ["Sentiment", "SentimentModel"]

# VADER's negation check rereads every word of the text for each word (quadratic): long texts
# are scored in sentence-aligned pieces of about this size and their compounds averaged by length.
PIECE_CHARS = 400
# A long text is judged on its first pieces (about 1,200 characters); its tone rarely turns
# after that, and the heads read no further than that either.
MAX_PIECES = 3
_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+")


class SentimentModel:
    def __init__(self) -> None:
        self._vader = SentimentIntensityAnalyzer()

    def score(self, text: str) -> tuple[Sentiment, float]:
        """The label and VADER's compound score in [-1, 1]."""
        pieces = _pieces(text)
        compound = sum(
            float(self._vader.polarity_scores(piece)["compound"]) * len(piece) for piece in pieces
        ) / max(1, sum(len(piece) for piece in pieces))
        return sentiment_label(compound), compound


def _pieces(text: str) -> list[str]:
    """The text cut at sentence ends into pieces of up to about PIECE_CHARS characters."""
    if len(text) <= PIECE_CHARS:
        return [text]
    pieces: list[str] = []
    current = ""
    for sentence in _SENTENCE_END.split(text):
        while len(sentence) > PIECE_CHARS:  # a run-on "sentence": cut it anyway
            pieces.append(sentence[:PIECE_CHARS])
            sentence = sentence[PIECE_CHARS:]
        if current and len(current) + len(sentence) > PIECE_CHARS:
            pieces.append(current)
            current = ""
        current = f"{current} {sentence}" if current else sentence
        if len(pieces) >= MAX_PIECES:
            break
    if current and len(pieces) < MAX_PIECES:
        pieces.append(current)
    return pieces[:MAX_PIECES]
