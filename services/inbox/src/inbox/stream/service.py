"""The stream's log: events appended in their transaction, read back from where a client left
off, trimmed by age and by count."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import orjson
from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from beacon_shared.logging import get_logger
from inbox.stream import repository

log = get_logger(__name__)


@dataclass(frozen=True)
class Logged:
    """One event to log: its organization, brand, type and JSON-ready body."""

    tenant_id: str
    brand_id: str | None
    type: str
    body: dict[str, Any]


async def append(session: AsyncSession, events: Sequence[Logged], *, now: datetime) -> None:
    """Add the events to their organizations' logs in the caller's transaction; open streams
    learn of them when it commits."""
    for tenant_id in sorted({e.tenant_id for e in events}):
        mine = [e for e in events if e.tenant_id == tenant_id]
        await repository.append(
            session,
            tenant_id=tenant_id,
            brand_ids=[e.brand_id for e in mine],
            types=[e.type for e in mine],
            datas=[orjson.dumps(e.body).decode() for e in mine],
            now=now,
        )


@dataclass(frozen=True)
class Start:
    """Where a client's stream starts: after `after_id`; `missed` when events it had not seen
    were trimmed from the log (it must load the inbox again)."""

    after_id: int
    missed: bool


async def start(
    conn: AsyncConnection | AsyncSession, *, tenant_id: str, last_event_id: int | None
) -> Start:
    """After the client's last event while the log still holds what followed it; after the
    newest event for a new client, or one the log can no longer serve."""
    if last_event_id is not None:
        trimmed = await repository.trimmed_through(conn, tenant_id=tenant_id)
        if last_event_id >= trimmed:
            return Start(last_event_id, missed=False)
    latest = await repository.latest_id(conn, tenant_id=tenant_id)
    return Start(latest, missed=last_event_id is not None)


async def read(
    conn: AsyncConnection | AsyncSession,
    *,
    tenant_id: str,
    after_id: int,
    brand_ids: frozenset[str] | None,
    limit: int,
) -> list[Row[Any]]:
    """The organization's next events on these brands (None: all of them and brandless ones)."""
    return await repository.after(
        conn, tenant_id=tenant_id, after_id=after_id, brand_ids=brand_ids, limit=limit
    )


async def trim(session: AsyncSession, *, now: datetime, keep_for: timedelta, keep: int) -> int:
    """Trim every organization's log to `keep_for` and to its newest `keep` events."""
    removed = 0
    for tenant_id in await repository.tenants(session):
        removed += await repository.trim(
            session, tenant_id=tenant_id, before=now - keep_for, keep=keep
        )
    if removed:
        log.info("stream.trimmed", removed=removed)
    return removed


async def forget(
    session: AsyncSession, *, tenant_id: str, field: str, values: Sequence[str]
) -> int:
    """Remove from the log the organization's events whose data has `field` among `values` (an
    erased author's messages); a client resuming past them reads on; how many."""
    if not values:
        return 0
    return await repository.delete_about(session, tenant_id=tenant_id, field=field, values=values)
