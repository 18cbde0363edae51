"""HTTP models of the connected accounts API, and what resolving an account returns."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator
from sqlalchemy import Row

from beacon_shared.contracts.common import Network
from beacon_shared.pagination import DEFAULT_LIMIT, MAX_LIMIT


class AccountStatus(StrEnum):
    """Whether Beacon listens to an account, and whether its credentials still work."""

    active = "active"
    paused = "paused"
    needs_reauth = "needs_reauth"
    # Disconnected in the workspace's registry: no credentials, nothing done with it until it
    # is connected again. Only the registry's events set it.
    disconnected = "disconnected"


@dataclass(frozen=True)
class PolledAccount:
    """An account a poller reads."""

    id: UUID
    tenant_id: str
    network: Network
    external_account_id: str


@dataclass(frozen=True)
class ResolvedAccount:
    """Whose a network account is: what inbound channels need to file an interaction."""

    account_id: UUID
    tenant_id: str
    brand_id: str | None
    status: str


def _settable(status: AccountStatus) -> AccountStatus:
    # Only the workspace's registry disconnects an account; here one is deleted instead.
    if status is AccountStatus.disconnected:
        raise ValueError("must be one of active, paused, needs_reauth")
    return status


CredentialName = Annotated[str, Field(min_length=1, max_length=64)]
# SecretStr keeps the values out of reprs, tracebacks and logs.
CredentialValue = Annotated[SecretStr, Field(max_length=8192)]
Credentials = Annotated[
    dict[CredentialName, CredentialValue],
    Field(
        min_length=1,
        max_length=32,
        description='Secrets of a sandbox account (which reads none), e.g. {"access_token": '
        '"..."}. Stored encrypted and never returned.',
    ),
]


class AccountIn(BaseModel):
    """A sandbox account to connect to the caller's tenant; network accounts are connected in
    the workspace."""

    model_config = ConfigDict(extra="forbid")

    network: Network = Field(
        description="sandbox only: every other network's accounts are connected in the workspace "
        "(POST /v1/brands/{brand_id}/connections), whose registry ingest keeps (422 "
        "connect_in_workspace)."
    )
    external_account_id: str = Field(
        min_length=1, max_length=256, description="The sandbox's id of the account."
    )
    brand_id: str | None = Field(default=None, max_length=128)
    handle: str | None = Field(default=None, max_length=256)
    display_name: str | None = Field(default=None, max_length=512)
    status: AccountStatus = AccountStatus.active
    credentials: Credentials | None = None

    @field_validator("status")
    @classmethod
    def _not_disconnected(cls, value: AccountStatus) -> AccountStatus:
        return _settable(value)


class AccountPatch(BaseModel):
    """Changes to a connected account; absent fields stay as they are, null clears."""

    model_config = ConfigDict(extra="forbid")

    brand_id: str | None = Field(default=None, max_length=128)
    handle: str | None = Field(default=None, max_length=256)
    display_name: str | None = Field(default=None, max_length=512)
    status: AccountStatus | None = Field(
        default=None,
        description="Not nullable. New credentials move a needs_reauth account back to active "
        "unless a status is given too.",
    )
    credentials: Credentials | None = Field(
        default=None,
        description="Replaces a sandbox account's stored credentials; null removes them. A "
        "network account's change in the workspace (422 connect_in_workspace, or 409 "
        "account_managed_in_workspace for one connected there).",
    )

    @field_validator("status")
    @classmethod
    def _status_not_null(cls, value: AccountStatus | None) -> AccountStatus:
        # Runs only when the field is sent: absent means unchanged, null means nothing.
        if value is None:
            raise ValueError("must be one of active, paused, needs_reauth")
        return _settable(value)


class AccountOut(BaseModel):
    """A connected account; its credentials are never shown, only whether it has any."""

    id: UUID
    network: Network
    external_account_id: str
    brand_id: str | None
    handle: str | None
    display_name: str | None
    status: AccountStatus
    has_credentials: bool
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_row(cls, row: Row[Any]) -> AccountOut:
        """From a repository row (which never carries the ciphertext)."""
        return cls.model_validate(dict(row._mapping))


class AccountQuery(BaseModel):
    """Filters and paging of the account list."""

    model_config = ConfigDict(extra="forbid")

    network: Network | None = None
    brand_id: str | None = Field(default=None, max_length=128)
    status: AccountStatus | None = None
    cursor: str | None = Field(default=None, max_length=512, description="A next_cursor.")
    limit: int = Field(default=DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)


class AccountPage(BaseModel):
    """One page of connected accounts, newest first."""

    items: list[AccountOut]
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next page; null at the end."
    )
