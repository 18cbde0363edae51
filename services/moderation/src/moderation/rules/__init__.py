"""Moderation policies: what to do with a comment, behind one small interface."""

from moderation.rules.placeholder import PlaceholderPolicy
from moderation.rules.policy import Policy, Verdict

__all__ = ["PlaceholderPolicy", "Policy", "Verdict"]
