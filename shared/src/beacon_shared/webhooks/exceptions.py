"""Webhook errors."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from beacon_shared.errors import Conflict, InvalidInput, NotFound


class EndpointNotFound(NotFound):
    code, title = "webhook_endpoint_not_found", "Webhook endpoint not found"

    def __init__(self, endpoint_id: UUID) -> None:
        super().__init__(f"No webhook endpoint {endpoint_id} for this tenant.")


class DeliveryNotFound(NotFound):
    code, title = "webhook_delivery_not_found", "Webhook delivery not found"

    def __init__(self, delivery_id: UUID) -> None:
        super().__init__(f"No webhook delivery {delivery_id} for this tenant.")


class InvalidEndpointUrl(InvalidInput):
    code, title = "invalid_webhook_url", "The webhook URL cannot be used"

    def __init__(self, url: str, reason: str) -> None:
        super().__init__(
            f"The webhook URL {url!r} cannot be used: {reason}.",
            errors=[
                {
                    "pointer": "/url",
                    "location": "body",
                    "type": "invalid_webhook_url",
                    "message": reason,
                }
            ],
        )


class UnknownEventType(InvalidInput):
    code, title = "unknown_event_type", "Unknown webhook event type"

    def __init__(self, unknown: Sequence[tuple[int, str]], known: Sequence[str]) -> None:
        names = ", ".join(repr(name) for _, name in unknown)
        super().__init__(
            f"No webhook event type {names}; endpoints can subscribe to: {', '.join(known)}.",
            errors=[
                {
                    "pointer": f"/event_types/{index}",
                    "location": "body",
                    "type": "unknown_event_type",
                    "message": f"unknown event type {name!r}",
                }
                for index, name in unknown
            ],
        )


class EndpointDisabled(Conflict):
    code, title = "webhook_endpoint_disabled", "The webhook endpoint is disabled"

    def __init__(self, endpoint_id: UUID, reason: str | None) -> None:
        why = f" ({reason})" if reason else ""
        super().__init__(
            f"Webhook endpoint {endpoint_id} is disabled{why}; enable it first, or nothing would "
            "be sent."
        )


class DeliveryInProgress(Conflict):
    code, title = "webhook_delivery_in_progress", "The delivery is being attempted right now"

    def __init__(self, delivery_id: UUID) -> None:
        super().__init__(
            f"Webhook delivery {delivery_id} is being sent right now; look at its outcome first."
        )
