"""What the rules decide for one comment."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from uuid import UUID

from beacon_shared.contracts.moderation import ModerationAction
from moderation.classify import Classification


@dataclass(frozen=True)
class Verdict:
    """What a policy decided for one comment and why."""

    action: ModerationAction
    rule_id: str
    reasons: Sequence[str] = ()
    scores: Mapping[str, float] = field(default_factory=dict)
    model_version: str | None = None
    # The brand's rule-set version that decided (0: the built-in default rules).
    rule_set_version: int | None = None
    # A saved reply to post, for `reply` (or alongside `hide`).
    reply_with: UUID | None = None
    # Who should review it, for `flag` and `escalate`.
    assign_to: str | None = None
    labels: Sequence[str] = ()
    # What the rules saw, so the caller can store it with the comment.
    classification: Classification | None = None

    @property
    def decided_by(self) -> str:
        """The `decided_by` of the stored decision and its event."""
        return f"rule:{self.rule_id}"
