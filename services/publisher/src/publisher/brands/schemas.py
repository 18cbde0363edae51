"""HTTP models of brand publishing settings."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, field_validator

from beacon_shared.bounds import JsonBool
from publisher.calendar import zone

DEFAULT_TIMEZONE = "UTC"


class BrandSettings(BaseModel):
    """How a brand publishes: the workspace's settings of the brand, as last announced."""

    model_config = ConfigDict(extra="forbid")

    timezone: str = Field(
        default=DEFAULT_TIMEZONE,
        max_length=64,
        description="An IANA time zone (Europe/Paris): calendars, local times and queue slots "
        "are read in it.",
    )
    approval_required: JsonBool = Field(
        default=False, description="Posts need a reviewer's approval before they are scheduled."
    )
    self_approval_allowed: JsonBool = Field(
        default=False,
        description="A post's author may approve it themselves, when they may approve at all.",
    )
    pause_on_alert: JsonBool = Field(
        default=False,
        description="While a bad-buzz alert of the brand is open, its due posts wait instead of "
        "going out; they go out once every alert is resolved.",
    )

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        zone(value)
        return value


class OpenAlert(BaseModel):
    """A bad-buzz alert of the brand that analytics has not resolved yet."""

    alert_id: UUID
    kind: str = Field(description="negative_sentiment or mention_volume.")
    since: datetime


class BrandPublishing(BrandSettings):
    """A brand's settings and whether its queue is paused right now (read-only fields)."""

    paused_by_alert: bool = Field(
        description="Due posts are waiting: pause_on_alert is on and an alert is open."
    )
    open_alerts: list[OpenAlert] = Field(
        description="The brand's open bad-buzz alerts, oldest first, paused or not."
    )
