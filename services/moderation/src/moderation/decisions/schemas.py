"""HTTP models of the decisions API."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Row

from beacon_shared.bounds import Timestamp
from beacon_shared.contracts.common import Network
from beacon_shared.contracts.ingest import InteractionKind
from beacon_shared.contracts.moderation import ModerationAction
from beacon_shared.pagination import DEFAULT_LIMIT, MAX_LIMIT
from moderation.decisions.models import EXCERPT_CHARS


class DecisionQuery(BaseModel):
    """Filters and paging of the decision list."""

    model_config = ConfigDict(extra="forbid")

    action: ModerationAction | None = None
    brand_id: str | None = Field(default=None, max_length=128)
    since: Timestamp | None = Field(default=None, description="Decided at or after.")
    until: Timestamp | None = Field(default=None, description="Decided before.")
    cursor: str | None = Field(default=None, max_length=512, description="A next_cursor.")
    limit: int = Field(default=DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)


class DecisionOut(BaseModel):
    """A recorded moderation decision."""

    id: UUID
    interaction_id: UUID
    brand_id: str | None
    network: Network
    kind: InteractionKind
    external_id: str
    thread_external_id: str | None
    author_handle: str | None
    text_excerpt: str
    action: ModerationAction
    decided_by: str
    reasons: list[str]
    model_version: str | None
    scores: dict[str, float]
    decided_at: datetime

    @classmethod
    def from_rows(cls, decision: Row[Any], comment: Row[Any]) -> DecisionOut:
        """From a `decision` row and the stored comment it references."""
        return cls.model_validate(
            {
                **decision._mapping,
                "network": comment.network,
                "kind": comment.kind,
                "external_id": comment.external_id,
                "thread_external_id": comment.thread_external_id,
                "author_handle": comment.author_handle,
                "text_excerpt": comment.text[:EXCERPT_CHARS],
            }
        )


class DecisionPage(BaseModel):
    """One page of decisions, newest first."""

    items: list[DecisionOut]
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next page; null at the end."
    )
