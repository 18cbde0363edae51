"""Sentiment from VADER (a lexicon and rules, made for social media English), cut at the
thresholds its authors recommend: compound ≥ 0.05 positive, ≤ -0.05 negative."""

from __future__ import annotations

from typing import Literal

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

Sentiment = Literal["negative", "neutral", "positive"]
THRESHOLD = 0.05


class SentimentModel:
    def __init__(self) -> None:
        self._vader = SentimentIntensityAnalyzer()

    def score(self, text: str) -> tuple[Sentiment, float]:
        """The label and VADER's compound score in [-1, 1]."""
        compound = float(self._vader.polarity_scores(text)["compound"])
        if compound >= THRESHOLD:
            return "positive", compound
        if compound <= -THRESHOLD:
            return "negative", compound
        return "neutral", compound
