"""All SQL of rule sets."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Row, Select, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from moderation.rules.models import rule_set

_SUMMARY = [c for c in rule_set.c if c.name != "rules"]


async def lock_brand(session: AsyncSession, *, tenant_id: str, brand_id: str) -> None:
    """Serialise version numbering and activation of one brand until the transaction ends."""
    key = func.hashtextextended(f"rule_set:{tenant_id}:{brand_id}", 0)
    await session.execute(select(func.pg_advisory_xact_lock(key)))


async def last_version(session: AsyncSession, *, tenant_id: str, brand_id: str) -> int:
    """The brand's highest version, 0 when it has none."""
    result = await session.execute(
        select(func.coalesce(func.max(rule_set.c.version), 0)).where(
            rule_set.c.tenant_id == tenant_id, rule_set.c.brand_id == brand_id
        )
    )
    return int(result.scalar_one())


async def insert_one(session: AsyncSession, values: Mapping[str, Any]) -> Row[Any]:
    """Store a version and return it."""
    result = await session.execute(insert(rule_set).values(dict(values)).returning(rule_set))
    row: Row[Any] = result.one()
    return row


async def get(
    session: AsyncSession, *, tenant_id: str, brand_id: str, version: int
) -> Row[Any] | None:
    """One version of the brand's rule set."""
    result = await session.execute(
        select(rule_set).where(
            rule_set.c.tenant_id == tenant_id,
            rule_set.c.brand_id == brand_id,
            rule_set.c.version == version,
        )
    )
    return result.first()


async def get_active(session: AsyncSession, *, tenant_id: str, brand_id: str) -> Row[Any] | None:
    """The brand's active version, if any."""
    result = await session.execute(
        select(rule_set).where(
            rule_set.c.tenant_id == tenant_id,
            rule_set.c.brand_id == brand_id,
            rule_set.c.status == "active",
        )
    )
    return result.first()


async def list_page(
    session: AsyncSession, *, tenant_id: str, brand_id: str, before: int | None, limit: int
) -> Sequence[Row[Any]]:
    """Up to `limit` versions without their rules, newest first, below `before`."""
    stmt: Select[Any] = select(
        *_SUMMARY, func.jsonb_array_length(rule_set.c.rules).label("rule_count")
    ).where(rule_set.c.tenant_id == tenant_id, rule_set.c.brand_id == brand_id)
    if before is not None:
        stmt = stmt.where(rule_set.c.version < before)
    stmt = stmt.order_by(rule_set.c.version.desc()).limit(limit)
    rows: Sequence[Row[Any]] = (await session.execute(stmt)).all()
    return rows


async def update_one(session: AsyncSession, *, id_: UUID, values: Mapping[str, Any]) -> Row[Any]:
    """Change a stored version and return it."""
    result = await session.execute(
        update(rule_set).where(rule_set.c.id == id_).values(dict(values)).returning(rule_set)
    )
    row: Row[Any] = result.one()
    return row


async def retire_active(
    session: AsyncSession, *, tenant_id: str, brand_id: str, now: datetime
) -> int | None:
    """Retire the brand's active version; returns its number, None when none was active."""
    result = await session.execute(
        update(rule_set)
        .where(
            rule_set.c.tenant_id == tenant_id,
            rule_set.c.brand_id == brand_id,
            rule_set.c.status == "active",
        )
        .values(status="retired", updated_at=now)
        .returning(rule_set.c.version)
    )
    retired: int | None = result.scalar_one_or_none()
    return retired
