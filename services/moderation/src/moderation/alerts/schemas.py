"""HTTP models of a brand's moderation mode."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from pydantic import BaseModel, Field


class OpenAlert(BaseModel):
    """A bad-buzz alert of the brand that analytics has not resolved yet."""

    alert_id: UUID
    kind: str = Field(description="negative_sentiment or mention_volume.")
    since: datetime


class ModerationMode(BaseModel):
    """Whether the brand's comments are moderated with heightened care right now, and why."""

    brand_id: str
    heightened: bool = Field(description="True while at least one alert is open.")
    open_alerts: list[OpenAlert] = Field(description="Oldest first.")
    adjustment: str = Field(description="What heightened moderation changes.")
