"""The seam every policy plugs into."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from beacon_shared.contracts.ingest import CommentReceived
from beacon_shared.contracts.moderation import ModerationAction


@dataclass(frozen=True)
class Verdict:
    """What a policy decided for one comment and why."""

    action: ModerationAction
    rule_id: str
    reasons: Sequence[str] = ()
    scores: Mapping[str, float] = field(default_factory=dict)
    model_version: str | None = None

    @property
    def decided_by(self) -> str:
        """The `decided_by` of the stored decision and its event."""
        return f"rule:{self.rule_id}"


class Policy(Protocol):
    """Decides what happens to received comments; never fails on odd text."""

    def decide_many(self, comments: Sequence[CommentReceived]) -> list[Verdict]:
        """One verdict per comment, in order (a batch: classifiers are far cheaper that way)."""
        ...
