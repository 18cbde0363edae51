"""Tracking competitors' public accounts for a brand."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Row, Select
from sqlalchemy.ext.asyncio import AsyncSession

from beacon_shared.contracts.common import Network
from beacon_shared.logging import get_logger
from beacon_shared.pagination import Cursor, split_page
from ingest.competitors import repository
from ingest.competitors.exceptions import (
    CompetitorAlreadyTracked,
    CompetitorNotFound,
    CompetitorPatchInvalid,
)
from ingest.competitors.schemas import CompetitorIn, CompetitorPatch, CompetitorQuery
from ingest.post_metrics import service as post_metrics

log = get_logger(__name__)


async def track(session: AsyncSession, *, tenant_id: str, body: CompetitorIn) -> Row[Any]:
    """Start tracking an account for a brand; the metrics poller reads it from its next cycle."""
    now = datetime.now(UTC)
    competitor_id = await repository.insert_competitor(
        session,
        {
            "id": uuid.uuid4(),
            "tenant_id": tenant_id,
            "brand_id": body.brand_id,
            "network": body.network.value,
            "external_account_id": body.external_account_id,
            "handle": body.handle,
            "label": body.label,
            "instance_url": body.instance_url,
            "status": body.status.value,
            "created_at": now,
            "updated_at": now,
        },
    )
    if competitor_id is None:
        raise CompetitorAlreadyTracked
    log.info("competitor.tracked", competitor_id=str(competitor_id), network=body.network.value)
    return await get(session, tenant_id=tenant_id, competitor_id=competitor_id)


async def get(session: AsyncSession, *, tenant_id: str, competitor_id: UUID) -> Row[Any]:
    """One tracked competitor of the tenant, or CompetitorNotFound."""
    row = await repository.get(
        session,
        tenant_id=tenant_id,
        competitor_id=competitor_id,
        poll_state=post_metrics.poll_state(),
    )
    if row is None:
        raise CompetitorNotFound(competitor_id)
    return row


async def list_page(
    session: AsyncSession,
    *,
    tenant_id: str,
    query: CompetitorQuery,
    brands: frozenset[str] | None = None,
) -> tuple[Sequence[Row[Any]], str | None]:
    """A page of the tenant's tracked competitors (of these brands; None: every one), newest
    first, and the next page's cursor."""
    after = Cursor.decode(query.cursor) if query.cursor else None
    rows = await repository.list_competitors(
        session,
        tenant_id=tenant_id,
        query=query,
        after=after,
        limit=query.limit + 1,
        poll_state=post_metrics.poll_state(),
        brands=brands,
    )
    return split_page(rows, query.limit, at="created_at")


async def update(
    session: AsyncSession, *, tenant_id: str, competitor_id: UUID, patch: CompetitorPatch
) -> Row[Any]:
    """Apply the fields the patch sets; an instance URL only fits a Mastodon account."""
    current = await get(session, tenant_id=tenant_id, competitor_id=competitor_id)
    fields = patch.model_fields_set
    values: dict[str, Any] = {
        name: getattr(patch, name) for name in ("handle", "label") if name in fields
    }
    if "instance_url" in fields:
        if current.network != "mastodon":
            raise CompetitorPatchInvalid("instance_url", "only mastodon accounts have an instance")
        values["instance_url"] = patch.instance_url
    if "status" in fields and patch.status is not None:
        values["status"] = patch.status.value
    if not values:
        return current
    values["updated_at"] = datetime.now(UTC)
    await repository.update_competitor(
        session, tenant_id=tenant_id, competitor_id=competitor_id, values=values
    )
    log.info("competitor.updated", competitor_id=str(competitor_id), fields=sorted(fields))
    return await get(session, tenant_id=tenant_id, competitor_id=competitor_id)


async def untrack(session: AsyncSession, *, tenant_id: str, competitor_id: UUID) -> None:
    """Stop tracking; metrics already observed stay in analytics."""
    if not await repository.delete_competitor(
        session, tenant_id=tenant_id, competitor_id=competitor_id
    ):
        raise CompetitorNotFound(competitor_id)
    await post_metrics.forget(session, account_id=competitor_id)
    log.info("competitor.untracked", competitor_id=str(competitor_id))


def metrics_candidates(networks: Sequence[Network]) -> Select[Any]:
    """Actively tracked accounts on these networks (id, tenant_id, brand_id, network,
    external_account_id, handle, instance_url), to join."""
    return repository.metrics_candidates(networks)
