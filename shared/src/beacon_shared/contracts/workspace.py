"""Events published by the workspace service."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from beacon_shared.events import EventPayload


class BrandConfigured(EventPayload):
    """A brand was registered, changed or deleted in the workspace: the whole brand each time.

    It succeeds the publisher's `publisher.brand.configured` on the same topic, whose fields it
    keeps; consumers read both, keeping per brand the one with the latest `configured_at`.
    """

    event_type = "workspace.brand.configured"
    topic = "brand.configured"

    brand_id: str
    name: str
    timezone: str = Field(description="IANA zone: the brand's days start at its midnight.")
    languages: list[str] = Field(description="ISO 639-1 codes the brand speaks, e.g. fr, en.")
    approval_required: bool = Field(description="Posts need an approval before they go out.")
    self_approval_allowed: bool = Field(
        description="A post's author may approve it themselves (when they may approve at all)."
    )
    pause_on_alert: bool = Field(description="Publishing pauses while a bad-buzz alert is open.")
    deleted: bool = Field(
        default=False,
        description="The brand was deleted: its scheduled posts are cancelled, and every "
        "service refuses it from then on.",
    )
    configured_at: datetime
