"""The rules every brand starts with, written in the rule language (version 0, never stored).

Spam is hidden, toxic comments are flagged for a human, everything else is allowed. A comment
that asks a question is never hidden on a score alone short of near-certain spam: a wrongly
hidden customer question costs the brand more than a spam comment left for review.

A brand without an active rule set is decided by these; a new draft may copy them (`copy_from`
0) and change them.
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import TypeAdapter

from beacon_shared.contracts.ingest import CommentReceived
from moderation.classify import Classifier
from moderation.rules.engine import RuleSet, Subject
from moderation.rules.policy import Verdict
from moderation.rules.schemas import Rule, RuleList

DEFAULT_VERSION = 0
SPAM_HIDE = 0.75
SPAM_HIDE_QUESTION = 0.95
# The toxicity model reads English; on French it finds few offensive comments, but those it
# scores over 0.5 were all offensive (docs/moderation.md), so the flag applies in any language.
TOXIC_FLAG = 0.5

DEFAULT_RULES: tuple[Rule, ...] = tuple(
    TypeAdapter(RuleList).validate_python(
        [
            {
                "id": "default.spam",
                "name": "Hide spam; a question only when spam is near certain",
                "when": {
                    "spam": {"min": SPAM_HIDE},
                    "any_of": [
                        {"spam": {"min": SPAM_HIDE_QUESTION}},
                        {"intent_not_in": ["question"]},
                    ],
                },
                "then": {"action": "hide"},
            },
            {
                "id": "default.spam_question",
                "name": "Flag a question that looks like spam for review",
                "when": {"spam": {"min": SPAM_HIDE}},
                "then": {"action": "flag"},
            },
            {
                "id": "default.toxic",
                "name": "Flag toxic comments for review",
                "when": {"toxicity": {"min": TOXIC_FLAG}},
                "then": {"action": "flag"},
            },
            {
                "id": "default.brand_model",
                "name": "Flag what the brand's own model would remove",
                "when": {"brand_model": True},
                "then": {"action": "flag"},
            },
            {"id": "default.allow", "name": "Allow everything else", "then": {"action": "allow"}},
        ]
    )
)
DEFAULT_RULE_SET = RuleSet(DEFAULT_RULES, version=DEFAULT_VERSION)


class DefaultPolicy:
    """Decides with the default rules from one batched classification of the comments' texts."""

    def __init__(self, classifier: Classifier | None = None) -> None:
        self.classifier = classifier or Classifier()

    def decide_many(self, comments: Sequence[CommentReceived]) -> list[Verdict]:
        """One verdict per comment, in order."""
        classified = self.classifier.classify_many([comment.text for comment in comments])
        return [
            DEFAULT_RULE_SET.evaluate(Subject.of(comment, c))
            for comment, c in zip(comments, classified, strict=True)
        ]
