"""HTTP models of the service-level report."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


class SlaFigures(BaseModel):
    """One group's figures for one target."""

    key: str | None = Field(
        description="The brand ('' for none), the network or the member's user id; null: a "
        "response or breach no member is credited with."
    )
    target: str = Field(description="first_response, next_response or resolution.")
    measured: int = Field(default=0, description="Responses (or resolutions) timed.")
    met: int = Field(default=0, description="Of them, within their target.")
    missed: int = Field(default=0, description="Of them, past their target.")
    hit_rate: float | None = Field(
        default=None, description="met / (met + missed); null when none had a target."
    )
    p50_seconds: float | None = Field(default=None, description="Median, in business time.")
    p90_seconds: float | None = Field(
        default=None, description="90th percentile, in business time."
    )
    breaches: int = Field(default=0, description="Clocks that ran past their due time in it.")


class SlaReport(BaseModel):
    start: datetime = Field(serialization_alias="from")
    end: datetime = Field(serialization_alias="to")
    by: str
    items: list[SlaFigures]
