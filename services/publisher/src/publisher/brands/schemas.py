"""HTTP models of brand publishing settings."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator

from publisher.calendar import zone

DEFAULT_TIMEZONE = "UTC"


class BrandSettings(BaseModel):
    """How a brand publishes."""

    model_config = ConfigDict(extra="forbid")

    timezone: str = Field(
        default=DEFAULT_TIMEZONE,
        max_length=64,
        description="An IANA time zone (Europe/Paris): calendars, local times and queue slots "
        "are read in it.",
    )
    approval_required: bool = Field(
        default=False, description="Posts need a reviewer's approval before they are scheduled."
    )

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        zone(value)
        return value
