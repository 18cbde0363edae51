"""HTTP models of the invitations API."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Row

from beacon_shared.pagination import DEFAULT_LIMIT, MAX_LIMIT
from workspace.people.schemas import BrandRoles, MemberOut, Role

Status = Literal["pending", "accepted", "revoked", "expired"]
# Enough to catch a typo or a name pasted in the wrong field; the issuer owns the address.
EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"


class InvitationIn(BaseModel):
    """Whom to invite, with which role, and on which brands (all of them unless given)."""

    model_config = ConfigDict(extra="forbid")

    email: str = Field(max_length=320, pattern=EMAIL_PATTERN)
    role: Role
    brand_roles: BrandRoles = Field(default_factory=dict)


class InvitationOut(BaseModel):
    """An invitation, without its token."""

    id: UUID
    email: str
    role: Role
    brand_roles: BrandRoles
    status: Status
    created_by: str = Field(description="`user:<id>` or `key:<id>`.")
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None
    accepted_at: datetime | None
    accepted_by: UUID | None = Field(description="The user who joined with it.")

    @classmethod
    def from_row(cls, row: Row[*tuple[Any, ...]], *, now: datetime) -> InvitationOut:
        """From an `invitation` row, its status as of `now`."""
        status: Status
        if row.accepted_at is not None:
            status = "accepted"
        elif row.revoked_at is not None:
            status = "revoked"
        elif row.expires_at <= now:
            status = "expired"
        else:
            status = "pending"
        values = {name: getattr(row, name) for name in cls.model_fields if name != "status"}
        return cls.model_validate({**values, "status": status})


class InvitationCreated(InvitationOut):
    """A new invitation with its token: shown this once, never stored in clear."""

    token: str = Field(
        description="Give it to the invitee, who signs in and sends it to "
        "`POST /v1/invitations/accept`; single use, valid 7 days."
    )


class InvitationPage(BaseModel):
    """One page of invitations, newest first."""

    items: list[InvitationOut]
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next page; null at the end."
    )


class InvitationQuery(BaseModel):
    """Paging of the invitation list."""

    model_config = ConfigDict(extra="forbid")

    cursor: str | None = Field(default=None, max_length=512, description="A next_cursor.")
    limit: int = Field(default=DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)


class AcceptIn(BaseModel):
    """The invitation's token."""

    model_config = ConfigDict(extra="forbid")

    token: str = Field(min_length=1, max_length=256)


class Joined(BaseModel):
    """The organization joined, and the membership."""

    organization: str
    member: MemberOut
