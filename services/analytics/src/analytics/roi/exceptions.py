"""Conversion and ROI errors."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from uuid import UUID

from beacon_shared.errors import InvalidInput, NotFound


def body_error(pointer: str, type_: str, message: str) -> dict[str, object]:
    """One entry of a problem's `errors`, in the shape request validation uses."""
    return {"pointer": pointer, "location": "body", "type": type_, "message": message}


class InvalidConversion(InvalidInput):
    code, title = "invalid_conversion", "The conversion is not valid"

    def __init__(self, errors: Sequence[Mapping[str, object]]) -> None:
        super().__init__(f"{len(errors)} field(s) are not valid together.", errors=errors)


class ConversionIdReused(InvalidInput):
    code, title = "conversion_id_reused", "An id was reused for a different conversion"

    def __init__(self, errors: Sequence[Mapping[str, object]]) -> None:
        super().__init__(
            "A conversion_id already stored a different conversion; "
            "use a new id for a new conversion.",
            errors=errors,
        )


class CampaignNotFound(NotFound):
    code, title = "campaign_not_found", "Campaign not found"

    def __init__(self, campaign_id: UUID) -> None:
        super().__init__(f"No campaign {campaign_id} for this tenant.")
