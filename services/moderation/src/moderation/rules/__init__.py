"""Moderation policies: what to do with a comment, behind one small interface.

Brands write their rules in a small language (`schemas`), versioned per brand (`service`); the
default rules (`default`) are written in it too. The evaluator (`engine`) is pure.
"""

from moderation.rules.classification import classification_from_json, classification_to_json
from moderation.rules.default import DEFAULT_RULE_SET, DefaultPolicy
from moderation.rules.engine import BrandScore, RuleSet, Subject
from moderation.rules.policy import Verdict

__all__ = [
    "DEFAULT_RULE_SET",
    "BrandScore",
    "DefaultPolicy",
    "RuleSet",
    "Subject",
    "Verdict",
    "classification_from_json",
    "classification_to_json",
]
