"""Set-based statements over array parameters: a batch's rows travel as one typed array per
column and are expanded with unnest(), so a statement's text never depends on the batch size
(compiled once by SQLAlchemy, prepared once per connection by asyncpg)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import BigInteger, DateTime, Table, Text, bindparam, func, select
from sqlalchemy.dialects.postgresql import ARRAY, UUID, insert
from sqlalchemy.types import TypeEngine

TEXT: TypeEngine[Any] = Text()
TIME: TypeEngine[Any] = DateTime(timezone=True)
BIGINT: TypeEngine[Any] = BigInteger()
UUIDS: TypeEngine[Any] = UUID(as_uuid=True)

Columns = Sequence[tuple[str, TypeEngine[Any]]]


def unnest(name: str, columns: Columns) -> Any:
    """`unnest(:a, :b, …) AS name(a, b, …)` over typed array parameters named after columns."""
    return (
        func.unnest(*(bindparam(column, type_=ARRAY(kind)) for column, kind in columns))
        .table_valued(*(column for column, _ in columns))
        .render_derived(name=name)
    )


def insert_from_arrays(table: Table, columns: Columns) -> Any:
    """INSERT INTO table (columns) SELECT … FROM unnest(:columns…)."""
    source = unnest("batch", columns)
    names = [column for column, _ in columns]
    return insert(table).from_select(names, select(*(source.c[n] for n in names)))


def upsert_adding(table: Table, columns: Columns) -> Any:
    """…ON CONFLICT (primary key) DO UPDATE SET value = table.value + excluded.value.

    The rows are inserted in primary-key order, sorted by the server: concurrent batches (other
    partitions, other replicas) then lock the rows they share in one order and cannot deadlock.
    """
    source = unnest("batch", columns)
    names = [column for column, _ in columns]
    key = [column.name for column in table.primary_key.columns]
    statement = insert(table).from_select(
        names, select(*(source.c[n] for n in names)).order_by(*(source.c[n] for n in key))
    )
    return statement.on_conflict_do_update(
        index_elements=list(table.primary_key.columns),
        set_={"value": table.c.value + statement.excluded.value},
    )


def arrays(rows: Sequence[Sequence[Any]], columns: Columns) -> dict[str, list[Any]]:
    """Rows (tuples in `columns` order) as one list per column, the statement's parameters."""
    if not rows:
        return {name: [] for name, _ in columns}
    return {
        name: list(values)
        for (name, _), values in zip(columns, zip(*rows, strict=True), strict=True)
    }
