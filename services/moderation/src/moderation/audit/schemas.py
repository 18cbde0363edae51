"""HTTP models of the audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Row

from beacon_shared.bounds import Timestamp
from beacon_shared.pagination import DEFAULT_LIMIT, MAX_LIMIT


class AuditQuery(BaseModel):
    """Filters and paging of the audit log."""

    model_config = ConfigDict(extra="forbid")

    brand_id: str | None = Field(default=None, max_length=128)
    interaction_id: UUID | None = None
    decision_id: UUID | None = None
    event: str | None = Field(default=None, max_length=64, description="e.g. `decision`.")
    actor: str | None = Field(
        default=None, max_length=256, description="`rule:…`, `user:…` or `key:…`."
    )
    since: Timestamp | None = Field(default=None, description="At or after.")
    until: Timestamp | None = Field(default=None, description="Before.")
    cursor: str | None = Field(default=None, max_length=512, description="A next_cursor.")
    limit: int = Field(default=DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)


class AuditEntryOut(BaseModel):
    """Who or which rule did what to which comment, with the model's scores at the time."""

    id: UUID
    brand_id: str | None
    interaction_id: UUID | None
    decision_id: UUID | None
    event: str = Field(
        description="decision, review.claimed, review.released, review.resolved, "
        "action.requested, action.completed or rules.activated."
    )
    action: str | None
    actor: str = Field(
        description="`rule:<id>` for automatic decisions, `user:<id>` for people, `key:<id>` "
        "for organization API keys."
    )
    model_version: str | None
    rule_set_version: str | None
    scores: dict[str, float]
    reasons: list[str]
    detail: dict[str, Any]
    at: datetime

    @classmethod
    def from_row(cls, row: Row[Any]) -> AuditEntryOut:
        """From an `audit_entry` row."""
        return cls.model_validate(dict(row._mapping))


class AuditPage(BaseModel):
    """One page of the audit log, newest first."""

    items: list[AuditEntryOut]
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next page; null at the end."
    )
