"""HTTP models of the audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Row

from beacon_shared.bounds import Timestamp
from beacon_shared.pagination import DEFAULT_LIMIT, MAX_LIMIT


class AuditQuery(BaseModel):
    """Which calls to list: every filter given must hold."""

    model_config = ConfigDict(extra="forbid")

    actor: str | None = Field(default=None, max_length=64, description="`user:<id>` or `key:<id>`.")
    service: str | None = Field(default=None, max_length=32, description="e.g. publisher.")
    method: Literal["POST", "PUT", "PATCH", "DELETE"] | None = None
    status: int | None = Field(default=None, ge=100, le=599)
    since: Timestamp | None = Field(default=None, description="From this instant, inclusive.")
    until: Timestamp | None = Field(default=None, description="Before this instant.")
    cursor: str | None = Field(default=None, max_length=512, description="A next_cursor.")
    limit: int = Field(default=DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)


class AuditEntryOut(BaseModel):
    """One state-changing call: who, what, which resource, when, from where, and its outcome."""

    id: UUID
    at: datetime
    actor: str
    credential: Literal["sign_in", "personal_token", "api_key"]
    service: str
    method: str
    route: str = Field(description="The route's template, e.g. /v1/posts/{post_id}.")
    resource: dict[str, str] = Field(description="The route's path parameters.")
    status: int = Field(description="The answer's HTTP status: 2xx done, 4xx refused, 5xx failed.")
    client_address: str | None
    user_agent: str | None
    request_id: str | None = Field(description="The X-Request-ID the call was answered with.")

    @classmethod
    def from_row(cls, row: Row[Any]) -> AuditEntryOut:
        """From an `iam.audit_log` row."""
        return cls.model_validate(dict(row._mapping))


class AuditPage(BaseModel):
    """One page of the audit log, newest first."""

    items: list[AuditEntryOut]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page.")
