"""Post errors."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

from beacon_shared.contracts.common import Network
from beacon_shared.errors import Conflict, Forbidden, InvalidInput, NotFound
from publisher.content import ContentProblem


class PostNotFound(NotFound):
    code, title = "post_not_found", "Post not found"

    def __init__(self, post_id: UUID) -> None:
        super().__init__(f"No post {post_id} for this tenant.")


class ScheduledInPast(InvalidInput):
    code, title = "scheduled_in_past", "The scheduled time has passed"

    def __init__(self, scheduled_at: datetime, now: datetime) -> None:
        super().__init__(
            f"scheduled_at {scheduled_at.isoformat()} is before the current time "
            f"{now.isoformat()}; schedule the post in the future.",
            errors=[
                {
                    "pointer": "/scheduled_at",
                    "location": "body",
                    "type": "scheduled_in_past",
                    "message": "must be in the future",
                }
            ],
        )


class NoConnectorForNetwork(InvalidInput):
    code, title = "no_connector", "No connector for this network yet"

    def __init__(
        self, unsupported: Sequence[tuple[int, Network]], available: Sequence[str]
    ) -> None:
        names = sorted({network.value for _, network in unsupported})
        super().__init__(
            f"Beacon has no connector for {', '.join(names)} yet; "
            f"posts can target: {', '.join(available)}.",
            errors=[
                {
                    "pointer": f"/targets/{index}/network",
                    "location": "body",
                    "type": "no_connector",
                    "message": f"no connector for {network.value} yet",
                }
                for index, network in unsupported
            ],
        )


class PostNotCancellable(Conflict):
    code, title = "post_not_cancellable", "The post can no longer be cancelled"

    def __init__(self, post_id: UUID, status: str) -> None:
        super().__init__(
            f"Post {post_id} is {status}: publishing has started, so it can no longer be cancelled."
        )


class ContentRejected(InvalidInput):
    code, title = "content_rejected", "A target network would refuse this content"

    def __init__(self, problems: Sequence[ContentProblem]) -> None:
        super().__init__(
            "; ".join(problem.message for problem in problems),
            errors=[dict(problem.as_error()) for problem in problems],
        )


class WrongState(Conflict):
    code, title = "post_wrong_state", "The post is not in a state that allows this"

    def __init__(self, post_id: UUID, status: str, action: str, allowed: Sequence[str]) -> None:
        super().__init__(
            f"Post {post_id} is {status}; {action} needs it to be {' or '.join(allowed)}."
        )


class ApprovalRequired(Conflict):
    code, title = "approval_required", "The brand's posts need approval first"

    def __init__(self, brand_id: str) -> None:
        super().__init__(
            f"Brand {brand_id} requires a reviewer's approval before a post is scheduled: "
            "create it with submit=review, then approve it."
        )


class SelfApprovalRefused(Forbidden):
    code, title = "self_approval_refused", "An author does not approve their own post"

    def __init__(self, post_id: UUID) -> None:
        super().__init__(
            f"Post {post_id} was written by you: another approver must approve it (or the brand "
            "must allow self-approval)."
        )


class NoFreeSlot(InvalidInput):
    code, title = "no_free_slot", "The account's queue has no free slot"

    def __init__(self, pointer: str, account_id: UUID) -> None:
        super().__init__(
            f"Account {account_id} has no free queue slot in the coming year; add slots under "
            f"/v1/publishing-accounts/{account_id}/slots.",
            errors=[
                {
                    "pointer": pointer,
                    "location": "body",
                    "type": "no_free_slot",
                    "message": "no free queue slot",
                }
            ],
        )


class NothingToRetry(Conflict):
    code, title = "nothing_to_retry", "No target of the post failed"

    def __init__(self, post_id: UUID) -> None:
        super().__init__(f"Post {post_id} has no failed target to publish again.")


class TimeRequired(InvalidInput):
    code, title = "time_required", "A time is needed to schedule"

    def __init__(self) -> None:
        super().__init__(
            "Give scheduled_at, local_time (with an optional timezone) or next_slot.",
            errors=[
                {
                    "pointer": "/scheduled_at",
                    "location": "body",
                    "type": "time_required",
                    "message": "one of scheduled_at, local_time or next_slot is required",
                }
            ],
        )
