"""HTTP models of the publishing accounts API."""

from __future__ import annotations

from datetime import datetime, time
from typing import Annotated, Any, Literal, Self
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator
from sqlalchemy import Row

from beacon_shared.contracts.common import Network
from beacon_shared.pagination import DEFAULT_LIMIT, MAX_LIMIT
from publisher.accounts.models import AccountSource, AccountStatus

MAX_SLOTS = 200

CredentialName = Annotated[str, Field(min_length=1, max_length=64)]
# SecretStr keeps the values out of reprs, tracebacks and logs.
Credentials = Annotated[
    dict[CredentialName, Annotated[SecretStr, Field(max_length=8192)]],
    Field(
        min_length=1,
        max_length=32,
        description='Secrets of a sandbox account (which reads none), e.g. {"access_token": '
        '"..."}. Stored encrypted and never returned.',
    ),
]


class AccountIn(BaseModel):
    """A sandbox account posts will go out as; network accounts are connected in the workspace."""

    model_config = ConfigDict(extra="forbid")

    network: Network = Field(
        description="sandbox only: every other network's accounts are connected in the workspace "
        "(POST /v1/brands/{brand_id}/connections), which the publisher keeps as its accounts "
        "(422 connect_in_workspace)."
    )
    external_account_id: str = Field(
        min_length=1, max_length=256, description="The sandbox's id of the account."
    )
    brand_id: str | None = Field(default=None, max_length=128)
    handle: str | None = Field(default=None, max_length=256)
    display_name: str | None = Field(default=None, max_length=512)
    credentials: Credentials | None = None


class AccountPatch(BaseModel):
    """Changes to an account; absent fields stay as they are."""

    model_config = ConfigDict(extra="forbid")

    brand_id: str | None = Field(default=None, max_length=128)
    handle: str | None = Field(default=None, max_length=256)
    display_name: str | None = Field(default=None, max_length=512)
    max_characters: int | None = Field(default=None, strict=True, ge=1, le=1_000_000)
    status: Literal[AccountStatus.active, AccountStatus.paused] | None = Field(
        default=None,
        description="active or paused; new credentials move a needs_reauth account back to active.",
    )
    credentials: Credentials | None = Field(
        default=None,
        description="Replaces a sandbox account's stored credentials; a network account's "
        "change in the workspace (422 connect_in_workspace, or 409 "
        "account_managed_in_workspace for one connected there).",
    )


class AccountOut(BaseModel):
    """A publishing account; credentials show only as `has_credentials`."""

    id: UUID
    network: Network
    external_account_id: str
    brand_id: str | None
    handle: str | None
    display_name: str | None
    instance_url: str | None
    max_characters: int | None
    status: AccountStatus
    status_reason: str | None = Field(description="Why the account needs attention.")
    source: AccountSource = Field(
        description="workspace: connected in the workspace's registry (this is its replica, "
        "the id is the registry's); publisher: connected here, before the registry."
    )
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
    """One page of accounts, newest first."""

    items: list[AccountOut]
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next page; null at the end."
    )


class Slot(BaseModel):
    """A weekly posting time of the account's queue, in its brand's time zone."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    weekday: int = Field(
        strict=True, ge=1, le=7, description="ISO weekday: 1 is Monday, 7 is Sunday."
    )
    local_time: time = Field(description="Wall-clock time, minutes only (HH:MM).")

    @model_validator(mode="after")
    def _whole_minutes(self) -> Self:
        if self.local_time.second or self.local_time.microsecond or self.local_time.tzinfo:
            raise ValueError("local_time is a wall-clock HH:MM without seconds or zone")
        return self


class SlotsIn(BaseModel):
    """The account's whole queue, replacing the previous one."""

    model_config = ConfigDict(extra="forbid")

    slots: list[Slot] = Field(max_length=MAX_SLOTS)


class SlotsOut(BaseModel):
    """The account's queue and the time zone its slots are read in."""

    timezone: str
    slots: list[Slot]


class NextSlot(BaseModel):
    """The first slot of the queue no post of the account takes yet."""

    at: datetime = Field(description="UTC.")
    local_time: datetime = Field(description="The same instant on the brand's wall clock.")
    timezone: str
