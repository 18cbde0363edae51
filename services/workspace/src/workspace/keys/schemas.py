"""HTTP models of the keys API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from beacon_shared.auth.keys import SCOPES
from beacon_shared.bounds import Timestamp


def _known(scope: str) -> str:
    if scope not in SCOPES:
        raise ValueError(f"unknown scope; one of {', '.join(sorted(SCOPES))}")
    return scope


Scope = Annotated[str, Field(max_length=64), AfterValidator(_known)]


class KeyIn(BaseModel):
    """A key to issue."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    scopes: list[Scope] = Field(
        min_length=1,
        max_length=len(SCOPES),
        description="Each one the caller holds itself (`*` only from a caller with `*`).",
    )
    rate_limit_per_minute: int | None = Field(
        default=None,
        ge=1,
        le=1_000_000,
        description="Requests a minute per API process; the platform default if absent.",
    )
    expires_at: Timestamp | None = Field(default=None, description="Never, if absent.")


class OrganizationKeyIn(KeyIn):
    """An organization key to issue, for every brand or some."""

    brand_ids: list[Annotated[str, Field(min_length=1, max_length=128)]] | None = Field(
        default=None,
        min_length=1,
        max_length=1_000,
        description="The brands it may act on (each a registered brand); every brand if absent. "
        "A key limited to brands reaches no organization-wide route.",
    )


class TokenIn(KeyIn):
    """A personal token to issue: it acts as you, within your role at each request."""

    scopes: list[Scope] = Field(
        default_factory=lambda: ["*"],
        min_length=1,
        max_length=len(SCOPES),
        description="Within your role's; `*` (the default): whatever your role allows.",
    )


class KeyOut(BaseModel):
    """A key, without its secret."""

    id: UUID
    name: str
    prefix: str = Field(description="Its first characters, to recognise it.")
    scopes: list[str]
    rate_limit_per_minute: int | None
    user_id: UUID | None = Field(description="The member a personal token acts as.")
    brand_ids: list[str] | None = Field(description="The brands it is limited to; null: all.")
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None


class KeyCreated(KeyOut):
    """A new key with its secret: shown this once, never stored in clear."""

    key: str = Field(description="Send as `Authorization: Bearer bk_…`.")


class KeyList(BaseModel):
    """Keys, oldest first, revoked and expired ones included."""

    items: list[KeyOut]
