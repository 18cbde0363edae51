"""Recording and reading the audit log; entries are written in the caller's transaction."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Required, TypedDict, Unpack
from uuid import UUID

from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncSession

from beacon_shared.pagination import Cursor, split_page
from moderation.audit import repository
from moderation.audit.schemas import AuditQuery


class AuditFields(TypedDict, total=False):
    """What an entry says; `tenant_id`, `brand_id`, `event` and `actor` are always given."""

    tenant_id: Required[str]
    brand_id: Required[str | None]
    event: Required[str]
    actor: Required[str]
    action: str | None
    interaction_id: UUID | None
    decision_id: UUID | None
    model_version: str | None
    rule_set_version: str | None
    scores: Mapping[str, float] | None
    reasons: Sequence[str] | None
    detail: Mapping[str, Any] | None
    at: datetime | None


def entry(**fields: Unpack[AuditFields]) -> dict[str, Any]:
    """One audit row, for callers that record many at once with `record_many`."""
    return {
        "id": uuid.uuid4(),
        "tenant_id": fields["tenant_id"],
        "brand_id": fields["brand_id"],
        "interaction_id": fields.get("interaction_id"),
        "decision_id": fields.get("decision_id"),
        "event": fields["event"],
        "action": fields.get("action"),
        "actor": fields["actor"],
        "model_version": fields.get("model_version"),
        "rule_set_version": fields.get("rule_set_version"),
        "scores": dict(fields.get("scores") or {}),
        "reasons": list(fields.get("reasons") or ()),
        "detail": dict(fields.get("detail") or {}),
        "at": fields.get("at") or datetime.now(UTC),
    }


async def record(session: AsyncSession, **fields: Unpack[AuditFields]) -> None:
    """Append one entry."""
    await repository.insert_many(session, [entry(**fields)])


async def record_many(session: AsyncSession, entries: Sequence[dict[str, Any]]) -> None:
    """Append entries built with `entry`, in one statement."""
    await repository.insert_many(session, entries)


async def list_page(
    session: AsyncSession,
    *,
    tenant_id: str,
    query: AuditQuery,
    brand_ids: frozenset[str] | None = None,
) -> tuple[Sequence[Row[Any]], str | None]:
    """A page of the tenant's entries (of `brand_ids` when given), newest first, and the cursor of
    the next one."""
    after = Cursor.decode(query.cursor) if query.cursor else None
    rows = await repository.list_page(
        session,
        tenant_id=tenant_id,
        query=query,
        brand_ids=brand_ids,
        after=after,
        limit=query.limit + 1,
    )
    return split_page(rows, query.limit, at="at")
