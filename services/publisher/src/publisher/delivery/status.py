"""Where one target (a post on one account) stands: the authoring states it shares with its
post, then those of its delivery."""

from __future__ import annotations

from enum import StrEnum


class TargetStatus(StrEnum):
    """Where one target (a post on one account) stands."""

    draft = "draft"
    in_review = "in_review"
    approved = "approved"
    scheduled = "scheduled"
    publishing = "publishing"
    published = "published"
    failed = "failed"
    # The network may or may not have published it (a timeout, a lost answer): it is looked for
    # among the account's recent posts before anything is sent again.
    unconfirmed = "unconfirmed"
    cancelled = "cancelled"


# A target not finished yet: due, being published, or awaiting reconciliation.
OPEN = (
    TargetStatus.scheduled.value,
    TargetStatus.publishing.value,
    TargetStatus.unconfirmed.value,
)
