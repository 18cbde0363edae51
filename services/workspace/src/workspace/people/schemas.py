"""HTTP models of the people API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from sqlalchemy import Row

from beacon_shared.pagination import DEFAULT_LIMIT, MAX_LIMIT

Role = Literal["owner", "admin", "manager", "agent", "editor", "approver", "analyst"]
BrandRole = Literal["manager", "agent", "editor", "approver", "analyst"]
BrandRoles = Annotated[
    dict[Annotated[str, StringConstraints(min_length=1, max_length=128)], BrandRole],
    Field(
        max_length=1_000,
        description="The member's role on each brand they work on; empty: their organization "
        "role on every brand. Owners and admins always have every brand.",
    ),
]


class MemberOut(BaseModel):
    """A member of the organization."""

    user_id: UUID
    email: str | None
    name: str | None
    role: Role
    brand_roles: BrandRoles
    joined_at: datetime

    @classmethod
    def from_row(cls, row: Row[Any], brand_roles: dict[str, str]) -> MemberOut:
        """From a row of `beacon_shared.auth.members.list_members` and the member's brand
        roles."""
        return cls.model_validate(
            {
                "user_id": row.id,
                "email": row.email,
                "name": row.name,
                "role": row.role,
                "brand_roles": brand_roles,
                "joined_at": row.created_at,
            }
        )


class MemberPage(BaseModel):
    """One page of members, in the order they joined."""

    items: list[MemberOut]
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next page; null at the end."
    )


class MemberQuery(BaseModel):
    """Paging of the member list."""

    model_config = ConfigDict(extra="forbid")

    cursor: str | None = Field(default=None, max_length=512, description="A next_cursor.")
    limit: int = Field(default=DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)


class MemberChange(BaseModel):
    """A member's new role, brand roles, or both."""

    model_config = ConfigDict(extra="forbid")

    role: Role | None = None
    brand_roles: BrandRoles | None = None


class UserOut(BaseModel):
    """The person acting."""

    id: UUID
    email: str | None
    name: str | None


class MeOut(BaseModel):
    """The caller: the organization it acts in, and as whom."""

    organization: str
    credential: Literal["api_key", "personal_token", "sign_in"] = Field(
        description="An organization API key, a member's personal token, or the member signed "
        "in with the issuer's access token."
    )
    actor: str = Field(description="How writes record the caller: `user:<id>` or `key:<id>`.")
    key_id: UUID | None = Field(description="The API key or personal token used, if any.")
    role: Role | None = Field(description="The member's role; null for an organization key.")
    user: UserOut | None
    scopes: list[str] = Field(description="What the caller may do now (`*`: everything).")
    brands: dict[str, list[str]] | None = Field(
        description="When the caller is limited to some brands, the scopes it holds on each; "
        "null when `scopes` hold on every brand."
    )
