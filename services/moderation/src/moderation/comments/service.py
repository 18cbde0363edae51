"""Keeping each received comment and its classification, for review and rule dry-runs."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncSession

from beacon_shared.contracts.ingest import CommentReceived
from moderation.access import in_brands
from moderation.comments import repository
from moderation.comments.exceptions import CommentNotFound


def row(
    tenant_id: str,
    comment: CommentReceived,
    classification: Mapping[str, Any] | None,
    fingerprint: str | None,
) -> dict[str, Any]:
    """The stored form of a received comment; `classification` as the rules serialise it."""
    classification = classification or {}
    return {
        "tenant_id": tenant_id,
        "interaction_id": comment.interaction_id,
        "brand_id": comment.brand_id,
        "account_id": comment.account_id,
        "network": comment.network.value,
        "kind": comment.kind.value,
        "external_id": comment.external_id,
        "parent_external_id": comment.parent_external_id,
        "thread_external_id": comment.thread_external_id,
        "author_id": comment.author.network_id,
        "author_handle": comment.author.handle,
        "author_name": comment.author.display_name,
        "author_followers": comment.author.follower_count,
        "text": comment.text,
        "language": str(classification.get("language", "und")),
        "fingerprint": fingerprint,
        "classification": dict(classification),
        "created_at": comment.created_at,
        "received_at": comment.received_at,
    }


async def store(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    """Store comments built with `row`; a redelivered one is kept as first stored."""
    await repository.insert_new(session, rows)


async def authors_of_copies(
    session: AsyncSession, *, tenant_id: str, fingerprints: Sequence[str], since: datetime
) -> dict[str, set[str]]:
    """For each fingerprint, some of the authors who posted it since `since` (a few suffice)."""
    if not fingerprints:
        return {}
    return await repository.authors_of_copies(
        session, tenant_id=tenant_id, fingerprints=fingerprints, since=since
    )


async def get(
    session: AsyncSession,
    *,
    tenant_id: str,
    interaction_id: UUID,
    brand_ids: frozenset[str] | None = None,
) -> Row[Any]:
    """One stored comment (of one of `brand_ids` when given), or CommentNotFound."""
    found = await repository.get(session, tenant_id=tenant_id, interaction_id=interaction_id)
    if found is None or not in_brands(found.brand_id, brand_ids):
        raise CommentNotFound(f"no comment {interaction_id}")
    return found


async def of_interactions(
    session: AsyncSession, *, tenant_id: str, interaction_ids: Sequence[UUID]
) -> dict[UUID, Row[Any]]:
    """The tenant's stored comments among `interaction_ids`, by interaction id."""
    if not interaction_ids:
        return {}
    rows = await repository.of_interactions(
        session, tenant_id=tenant_id, interaction_ids=interaction_ids
    )
    return {row.interaction_id: row for row in rows}


async def latest(
    session: AsyncSession, *, tenant_id: str, brand_id: str, limit: int
) -> Sequence[Row[Any]]:
    """The brand's last `limit` comments, newest first."""
    return await repository.latest(session, tenant_id=tenant_id, brand_id=brand_id, limit=limit)
