"""Moderation policies: what to do with a comment, behind one small interface."""

from moderation.rules.default import DefaultPolicy
from moderation.rules.policy import Policy, Verdict

__all__ = ["DefaultPolicy", "Policy", "Verdict"]
