"""The rules every brand starts with, on the classifier's scores.

Spam is hidden, toxic comments are flagged for a human, everything else is allowed. A comment
that asks a question is never hidden on a score alone short of near-certain spam: a wrongly
hidden customer question costs the brand more than a spam comment left for review.
"""

from __future__ import annotations

from collections.abc import Sequence

from beacon_shared.contracts.ingest import CommentReceived
from beacon_shared.contracts.moderation import ModerationAction
from moderation.classify import Classification, Classifier
from moderation.rules.policy import Verdict

SPAM_HIDE = 0.75
SPAM_HIDE_QUESTION = 0.95
# The toxicity model reads English; on French it finds few offensive comments, but those it
# scores over 0.5 were all offensive (docs/moderation.md), so the flag applies in any language.
TOXIC_FLAG = 0.5


class DefaultPolicy:
    """Decides from one batched classification of the comments' texts."""

    def __init__(self, classifier: Classifier | None = None) -> None:
        self.classifier = classifier or Classifier()

    def decide_many(self, comments: Sequence[CommentReceived]) -> list[Verdict]:
        classified = self.classifier.classify_many([comment.text for comment in comments])
        return [_verdict(c) for c in classified]


def _verdict(c: Classification) -> Verdict:
    scores = {
        "toxicity": round(c.toxicity, 4),
        "spam": round(c.spam, 4),
        "sentiment": c.sentiment_score,
    }
    spam_reasons = [f"spam:{reason}" for reason in c.spam_reasons]
    is_question = "question" in c.intents
    if c.spam >= (SPAM_HIDE_QUESTION if is_question else SPAM_HIDE):
        return _decided(ModerationAction.hide, "default.spam", spam_reasons, scores, c)
    if c.spam >= SPAM_HIDE:
        return _decided(ModerationAction.flag, "default.spam_question", spam_reasons, scores, c)
    if c.toxicity >= TOXIC_FLAG:
        return _decided(ModerationAction.flag, "default.toxic", ["toxic"], scores, c)
    return _decided(ModerationAction.allow, "default.allow", [], scores, c)


def _decided(
    action: ModerationAction,
    rule_id: str,
    reasons: list[str],
    scores: dict[str, float],
    c: Classification,
) -> Verdict:
    return Verdict(action, rule_id, reasons=reasons, scores=scores, model_version=c.model_version)
