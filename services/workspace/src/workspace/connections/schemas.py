"""HTTP models of connected accounts and connect flows."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, SecretStr
from sqlalchemy import Row

from beacon_shared.contracts.workspace import AccountKind
from beacon_shared.pagination import DEFAULT_LIMIT, MAX_LIMIT

OAuthNetwork = Literal["facebook", "x", "linkedin", "mastodon"]
Network = Literal["facebook", "instagram", "x", "linkedin", "mastodon", "bluesky"]
Status = Literal["active", "needs_reauth", "disconnected"]


class ConnectIn(BaseModel):
    """Which network to connect, and where the browser returns afterwards."""

    model_config = ConfigDict(extra="forbid")

    network: OAuthNetwork = Field(
        description="`facebook` connects every Page the login grants and their linked Instagram "
        "business accounts; Bluesky has its own route (an app password)."
    )
    return_url: str = Field(
        min_length=1,
        max_length=2048,
        description="Where the browser is sent back with the outcome; its origin must be one of "
        "WORKSPACE_RETURN_ORIGINS.",
    )
    instance: str | None = Field(
        default=None,
        max_length=2048,
        description="Mastodon only: the instance's root URL, e.g. https://mastodon.social.",
    )


class ConnectStarted(BaseModel):
    """Where to send the browser."""

    network: OAuthNetwork
    authorization_url: str = Field(description="The network's authorization page, to open.")
    expires_at: datetime = Field(description="The flow must come back before then (10 minutes).")


class BlueskyIn(BaseModel):
    """A Bluesky account's handle and an app password made for Beacon."""

    model_config = ConfigDict(extra="forbid")

    handle: str = Field(
        min_length=1, max_length=253, description="Handle, DID or email of the account."
    )
    app_password: SecretStr = Field(min_length=1, max_length=256)
    service: str | None = Field(
        default=None,
        max_length=2048,
        description="The account's PDS or entryway; WORKSPACE_BLUESKY_SERVICE when left out.",
    )


class ConnectedAccountOut(BaseModel):
    """A connected account, without its credentials."""

    id: UUID
    brand_id: str
    network: Network
    kind: AccountKind
    external_id: str = Field(description="The network's id of the account (a DID on Bluesky).")
    handle: str | None
    display_name: str | None
    instance_url: str | None
    status: Status
    status_reason: str | None = Field(description="Why it needs reconnecting, when it does.")
    scopes: list[str] = Field(description="What the network granted.")
    access_expires_at: datetime | None
    refresh_expires_at: datetime | None
    connected_by: str = Field(
        description="`user:<id>` or `key:<id>`; `service:<name>` for an account handed over by "
        "the service that connected it before the registry."
    )
    connected_at: datetime
    disconnected_at: datetime | None
    disconnected_by: str | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_row(cls, row: Row[*tuple[Any, ...]]) -> ConnectedAccountOut:
        """From a `connected_account` row."""
        return cls.model_validate({name: getattr(row, name) for name in cls.model_fields})


class Connected(BaseModel):
    """The accounts a connection stored."""

    accounts: list[ConnectedAccountOut]


class ConnectedAccountPage(BaseModel):
    """One page of connected accounts, newest first."""

    items: list[ConnectedAccountOut]
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next page; null at the end."
    )


class ConnectedAccountQuery(BaseModel):
    """Filters and paging of the connected accounts."""

    model_config = ConfigDict(extra="forbid")

    brand_id: str | None = Field(default=None, min_length=1, max_length=128)
    network: Network | None = None
    status: Status | None = None
    cursor: str | None = Field(default=None, max_length=512, description="A next_cursor.")
    limit: int = Field(default=DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)


class CallbackQuery(BaseModel):
    """What a network's authorization server appends to the redirect URI."""

    model_config = ConfigDict(extra="ignore")

    state: str | None = Field(default=None, max_length=512)
    code: str | None = Field(default=None, max_length=4096)
    error: str | None = Field(default=None, max_length=256)
    error_description: str | None = Field(default=None, max_length=1024)
