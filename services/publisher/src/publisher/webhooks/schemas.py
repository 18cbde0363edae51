"""The event types the publisher's webhook endpoints may subscribe to (the HTTP models are
`beacon_shared.webhooks.schemas`)."""

from __future__ import annotations

from beacon_shared.webhooks.schemas import (
    EndpointIn,
    EndpointPatch,
)

# What endpoints may subscribe to. The database keeps plain text, so adding a type here is all a
# new event needs.
WEBHOOK_EVENT_TYPES: tuple[str, ...] = (
    "post.drafted",
    "post.submitted",
    "post.scheduled",
    "post.rescheduled",
    "post.cancelled",
    "post.publishing",
    "post.approved",
    "post.changes_requested",
    "post.published",
    "post.failed",
    "post.unconfirmed",
    "account.needs_reauth",
    "account.disconnected",
    "alert.raised",
    "alert.resolved",
    "report.generated",
)

__all__ = [
    "WEBHOOK_EVENT_TYPES",
    "EndpointIn",
    "EndpointPatch",
]
