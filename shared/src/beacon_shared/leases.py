"""Claiming due rows under a lease, for any number of workers sharing a table.

A claim locks the first rows due that no other transaction holds (`FOR UPDATE SKIP LOCKED`: a
worker never waits for another's rows) and sets their lease in the same statement, so the rows
stay taken after the claim commits; the worker then does the work and records the outcome (or
releases the lease), and rows whose lease ran out are due again. `beacon_shared.claim_call_record`
is that loop: the claim, the call and the record, each given by the worker.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import ColumnElement, FromClause, Row, Table, select, update
from sqlalchemy.ext.asyncio import AsyncSession


async def claim(
    session: AsyncSession,
    table: Table,
    *,
    where: Sequence[ColumnElement[bool]],
    lease: Mapping[str, object],
    limit: int,
    order_by: Sequence[Any] = (),
    returning: Sequence[ColumnElement[Any]] | None = None,
    joined: FromClause | None = None,
) -> Sequence[Row[Any]]:
    """Set `lease` on the first `limit` rows of `table` matching `where` (in `order_by` order)
    that no other transaction holds; those rows, `returning` (every column by default) in no
    particular order. `joined` is `table` joined to what `where` also reads. The rows are told
    apart by `table`'s one-column primary key."""
    (key,) = table.primary_key.columns
    due = (
        select(key)
        .select_from(joined if joined is not None else table)
        .where(*where)
        .order_by(*order_by)
        .limit(limit)
        .with_for_update(of=table, skip_locked=True)
    )
    result = await session.execute(
        update(table)
        .where(key.in_(due.scalar_subquery()))
        .values(dict(lease))
        .returning(*(returning if returning is not None else table.c))
    )
    return result.all()
