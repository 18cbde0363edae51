"""All SQL of bad-buzz alerts."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import DateTime, Row, Text, bindparam, delete, func, or_, select, tuple_, update
from sqlalchemy.dialects.postgresql import ARRAY, insert
from sqlalchemy.ext.asyncio import AsyncSession

from analytics.alerts.models import AlertStatus, alert, alert_signal, alert_window
from analytics.alerts.signals import SignalKey
from beacon_shared.pagination import Cursor

_KEY = (alert_signal.c.tenant_id, alert_signal.c.brand_id, alert_signal.c.kind)
_WINDOW_KEY = (alert_window.c.tenant_id, alert_window.c.brand_id, alert_window.c.kind)


def _key_values(keys: Sequence[SignalKey]) -> list[tuple[str, str, str]]:
    return [(k.tenant_id, k.brand_id, k.kind.value) for k in keys]


async def insert_missing_signals(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    """Start the signals not seen before; existing ones are left as they are."""
    if rows:
        await session.execute(insert(alert_signal).on_conflict_do_nothing(), list(rows))


async def lock_signals(session: AsyncSession, keys: Sequence[SignalKey]) -> Sequence[Row[Any]]:
    """The signals' rows, locked for this transaction in key order (so batches never deadlock)."""
    return (
        await session.execute(
            select(alert_signal)
            .where(tuple_(*_KEY).in_(_key_values(sorted(keys))))
            .order_by(*_KEY)
            .with_for_update()
        )
    ).all()


async def lock_quiet_signals(
    session: AsyncSession, *, before: datetime, limit: int
) -> Sequence[Row[Any]]:
    """Signals with an alert open (or just closed by a person) with neither an event time nor
    an event handled since `before`.

    Rows another transaction holds are skipped: that one is advancing them already.
    """
    return (
        await session.execute(
            select(alert_signal)
            .where(
                or_(alert_signal.c.open_alert_id.is_not(None), alert_signal.c.suppressed),
                alert_signal.c.watermark < before,
                alert_signal.c.updated_at < before,
            )
            .order_by(*_KEY)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    ).all()


async def add_to_windows(
    session: AsyncSession, counts: Mapping[tuple[SignalKey, datetime], int]
) -> None:
    """Add each count to its window."""
    if not counts:
        return
    rows = [
        {
            "tenant_id": key.tenant_id,
            "brand_id": key.brand_id,
            "kind": key.kind.value,
            "window_start": start,
            "count": count,
        }
        for (key, start), count in sorted(counts.items())
    ]
    statement = insert(alert_window)
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=list(alert_window.primary_key.columns),
            set_={"count": alert_window.c.count + statement.excluded["count"]},
        ),
        rows,
    )


async def window_counts(
    session: AsyncSession, keys: Sequence[SignalKey]
) -> dict[SignalKey, dict[datetime, int]]:
    """Every open window's count of the signals."""
    rows = await session.execute(
        select(*_WINDOW_KEY, alert_window.c.window_start, alert_window.c.count).where(
            tuple_(*_WINDOW_KEY).in_(_key_values(keys))
        )
    )
    found: dict[SignalKey, dict[datetime, int]] = {key: {} for key in keys}
    by_values = {(k.tenant_id, k.brand_id, k.kind.value): k for k in keys}
    for tenant_id, brand_id, kind, start, count in rows:
        found[by_values[(tenant_id, brand_id, kind)]][start] = count
    return found


async def drop_windows(session: AsyncSession, evaluated: Mapping[SignalKey, datetime]) -> None:
    """Delete each signal's windows starting before its bound: they are evaluated."""
    if not evaluated:
        return
    items = sorted(evaluated.items())
    bounds = (
        func.unnest(
            bindparam("tenant_ids", [k.tenant_id for k, _ in items], type_=ARRAY(Text())),
            bindparam("brand_ids", [k.brand_id for k, _ in items], type_=ARRAY(Text())),
            bindparam("kinds", [k.kind.value for k, _ in items], type_=ARRAY(Text())),
            bindparam("bounds", [b for _, b in items], type_=ARRAY(DateTime(timezone=True))),
        )
        .table_valued("tenant_id", "brand_id", "kind", "bound")
        .render_derived(name="evaluated")
    )
    await session.execute(
        delete(alert_window).where(
            alert_window.c.tenant_id == bounds.c.tenant_id,
            alert_window.c.brand_id == bounds.c.brand_id,
            alert_window.c.kind == bounds.c.kind,
            alert_window.c.window_start < bounds.c.bound,
        )
    )


_SAVE = (
    update(alert_signal)
    .where(
        alert_signal.c.tenant_id == bindparam("k_tenant_id"),
        alert_signal.c.brand_id == bindparam("k_brand_id"),
        alert_signal.c.kind == bindparam("k_kind"),
    )
    .values(
        {
            name: bindparam(name)
            for name in (
                "open_start",
                "watermark",
                "windows",
                "mean",
                "variance",
                "calm_windows",
                "open_alert_id",
                "suppressed",
                "updated_at",
            )
        }
    )
)


async def save_signals(
    session: AsyncSession, states: Mapping[SignalKey, Mapping[str, Any]]
) -> None:
    """Write each signal's new state (every column but the key)."""
    if not states:
        return
    rows = [
        {"k_tenant_id": k.tenant_id, "k_brand_id": k.brand_id, "k_kind": k.kind.value, **values}
        for k, values in sorted(states.items())
    ]
    await session.execute(_SAVE, rows)


async def insert_alert(session: AsyncSession, values: Mapping[str, Any]) -> None:
    """Record a raised alert."""
    await session.execute(insert(alert).values(**values))


async def resolve_alert(
    session: AsyncSession, *, alert_id: UUID, resolved_at: datetime, resolved_by: str
) -> Row[Any] | None:
    """Close an open alert; None when it is not open."""
    result = await session.execute(
        update(alert)
        .where(alert.c.id == alert_id, alert.c.status == AlertStatus.open.value)
        .values(status=AlertStatus.resolved.value, resolved_at=resolved_at, resolved_by=resolved_by)
        .returning(*alert.c)
    )
    row: Row[Any] | None = result.first()
    return row


async def get_alert(session: AsyncSession, *, tenant_id: str, alert_id: UUID) -> Row[Any] | None:
    """One alert of the tenant."""
    return (
        await session.execute(
            select(alert).where(alert.c.tenant_id == tenant_id, alert.c.id == alert_id)
        )
    ).first()


async def list_alerts(
    session: AsyncSession,
    *,
    tenant_id: str,
    status: AlertStatus | None,
    brands: frozenset[str] | None,
    after: Cursor | None,
    limit: int,
) -> Sequence[Row[Any]]:
    """Up to `limit` alerts of the tenant (of these brands, None: every brand), newest first,
    strictly after `after`."""
    stmt = select(alert).where(alert.c.tenant_id == tenant_id)
    if status is not None:
        stmt = stmt.where(alert.c.status == status.value)
    if brands is not None:
        stmt = stmt.where(alert.c.brand_id.in_(sorted(brands)))
    if after is not None:
        stmt = stmt.where(tuple_(alert.c.raised_at, alert.c.id) < tuple_(after.at, after.id))
    stmt = stmt.order_by(alert.c.raised_at.desc(), alert.c.id.desc()).limit(limit)
    return (await session.execute(stmt)).all()
