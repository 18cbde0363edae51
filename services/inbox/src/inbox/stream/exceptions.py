"""Stream errors."""

from __future__ import annotations

from beacon_shared.errors import InvalidInput


class InvalidLastEventId(InvalidInput):
    code, title = "invalid_last_event_id", "Last-Event-ID is not an event id of this stream"

    def __init__(self, value: str) -> None:
        super().__init__(
            f"Last-Event-ID {value[:64]!r} is not an id this stream sent: send back the `id` of "
            "the last event received, or nothing to start from now.",
            errors=[
                {
                    "pointer": "Last-Event-ID",
                    "location": "header",
                    "type": "invalid_last_event_id",
                    "message": "a non-negative integer",
                }
            ],
        )
