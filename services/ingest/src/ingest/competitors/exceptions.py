"""Tracked competitor errors."""

from __future__ import annotations

from uuid import UUID

from beacon_shared.errors import Conflict, InvalidInput, NotFound


class CompetitorNotFound(NotFound):
    code, title = "competitor_not_found", "Tracked competitor not found"

    def __init__(self, competitor_id: UUID) -> None:
        super().__init__(f"No tracked competitor {competitor_id}.")


class CompetitorAlreadyTracked(Conflict):
    code, title = "competitor_already_tracked", "The brand already tracks this account"

    def __init__(self) -> None:
        super().__init__("This brand already tracks this network account.")


class CompetitorPatchInvalid(InvalidInput):
    code, title = "competitor_patch_invalid", "The change does not fit this account"

    def __init__(self, field: str, message: str) -> None:
        super().__init__(
            f"{field}: {message}.",
            errors=[
                {"pointer": f"/{field}", "location": "body", "type": "invalid", "message": message}
            ],
        )
