"""HTTP models of the brand registry."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints
from sqlalchemy import Row

from beacon_shared.bounds import JsonBool

# New brands get a slug; ids registered before the registry existed keep whatever they were.
BRAND_ID_PATTERN = r"^[a-z0-9][a-z0-9_.-]{0,63}$"
Language = Annotated[str, StringConstraints(min_length=2, max_length=2, pattern=r"^[a-z]{2}$")]


def _known_zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {value!r} (an IANA name, e.g. Europe/Paris)") from exc
    return value


TimeZone = Annotated[
    str, StringConstraints(min_length=1, max_length=64), AfterValidator(_known_zone)
]


class BrandSettings(BaseModel):
    """What a brand is and how Beacon works for it; every field optional in a change."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=200)
    timezone: TimeZone | None = Field(
        default=None,
        description="An IANA zone (Europe/Paris): the brand's days, calendars, queue slots and "
        "business hours are read in it.",
    )
    languages: list[Language] | None = Field(
        default=None, max_length=20, description="ISO 639-1 codes the brand speaks, e.g. fr, en."
    )
    approval_required: JsonBool | None = Field(
        default=None, description="Posts need an approval before they are scheduled."
    )
    self_approval_allowed: JsonBool | None = Field(
        default=None,
        description="A post's author may approve it themselves, when they may approve at all.",
    )
    pause_on_alert: JsonBool | None = Field(
        default=None,
        description="While a bad-buzz alert of the brand is open its due posts wait.",
    )


class BrandIn(BrandSettings):
    """A new brand: its id (a slug) and name; the other settings default to UTC, no languages,
    no approval, no self-approval, no pause."""

    id: str = Field(
        max_length=64, pattern=BRAND_ID_PATTERN, description="A slug, e.g. decathlon-fr."
    )
    name: str = Field(min_length=1, max_length=200)


class BrandOut(BaseModel):
    """A brand of the organization with its settings."""

    id: str
    name: str
    timezone: str
    languages: list[str]
    approval_required: bool
    self_approval_allowed: bool
    pause_on_alert: bool
    created_at: datetime
    configured_at: datetime | None = Field(
        description="When its settings last changed; null for a brand registered before the "
        "registry, still on the defaults."
    )

    @classmethod
    def from_row(cls, row: Row[*tuple[Any, ...]]) -> BrandOut:
        """From a registry row joined with its settings (defaults where none were saved)."""
        return cls.model_validate(dict(row._mapping))


class BrandList(BaseModel):
    """Every brand the caller may see, by id (an organization has at most MAX_BRANDS)."""

    items: list[BrandOut]
