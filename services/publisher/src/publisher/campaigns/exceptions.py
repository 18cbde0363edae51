"""Campaign errors."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from beacon_shared.errors import Conflict, InvalidInput, NotFound


def _error(pointer: str, type_: str, message: str) -> dict[str, object]:
    return {"pointer": pointer, "location": "body", "type": type_, "message": message}


class CampaignNotFound(NotFound):
    code, title = "campaign_not_found", "Campaign not found"

    def __init__(self, campaign_id: UUID | str, *, pointer: str | None = None) -> None:
        # With a pointer, the campaign was named in the body of a request about something else.
        super().__init__(
            f"No campaign {campaign_id} for this tenant.",
            errors=[_error(pointer, "campaign_not_found", "no such campaign")] if pointer else (),
        )


class CampaignArchived(Conflict):
    code, title = "campaign_archived", "The campaign is archived"

    def __init__(self, campaign_id: UUID, *, pointer: str | None = None) -> None:
        super().__init__(
            f"Campaign {campaign_id} is archived and takes no new posts.",
            errors=[_error(pointer, "campaign_archived", "campaign is archived")]
            if pointer
            else (),
        )


class UtmCampaignTaken(Conflict):
    code, title = "utm_campaign_taken", "Another campaign uses this utm_campaign"

    def __init__(self, utm_campaign: str) -> None:
        super().__init__(
            f"utm_campaign {utm_campaign!r} is already another campaign's (archived ones "
            "included), and sharing it would merge both in analytics; pass another utm_campaign.",
            errors=[_error("/utm_campaign", "utm_campaign_taken", "already used by a campaign")],
        )


class CampaignEndsBeforeStart(InvalidInput):
    code, title = "campaign_ends_before_start", "The campaign ends before it starts"

    def __init__(self, starts_at: datetime, ends_at: datetime) -> None:
        super().__init__(
            f"ends_at {ends_at.isoformat()} is not after starts_at {starts_at.isoformat()}.",
            errors=[_error("/ends_at", "ends_before_start", "must be after starts_at")],
        )


class CostWithoutCurrency(InvalidInput):
    code, title = "currency_required", "A cost needs its currency"

    def __init__(self) -> None:
        super().__init__(
            "cost_amount is given without a currency; pass an ISO 4217 code such as EUR.",
            errors=[_error("/currency", "currency_required", "required with cost_amount")],
        )
