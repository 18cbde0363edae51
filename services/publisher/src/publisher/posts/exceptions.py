"""Post errors."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

from beacon_shared.contracts.common import Network
from beacon_shared.errors import Conflict, InvalidInput, NotFound
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


class IdempotencyKeyReused(InvalidInput):
    code, title = "idempotency_key_reused", "Idempotency key reused with a different request"

    def __init__(self, post_id: UUID) -> None:
        super().__init__(
            f"This Idempotency-Key already created post {post_id} from a different body; "
            "use a new key for a new post."
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
