"""A batch of rows in one statement: one typed array parameter per column, unnested.

The statement's text never depends on the number of rows, so SQLAlchemy compiles it once and
asyncpg prepares it once per connection, where a VALUES list of a batch costs more to build than
to run. A statement may be built per call with its rows, or once at import and executed with
`arrays(rows, columns)`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Table, bindparam, func, select
from sqlalchemy.dialects.postgresql import ARRAY, Insert, insert
from sqlalchemy.sql.selectable import TableValuedAlias
from sqlalchemy.types import TypeEngine

# (name, element type) of each column, in the order of the rows' values.
Columns = Sequence[tuple[str, TypeEngine[Any]]]


def unnested(
    name: str, columns: Columns, rows: Sequence[Sequence[Any]] | None = None
) -> TableValuedAlias:
    """`unnest(:a, :b, …) AS name(a, b, …)`. Given `rows`, its parameters hold them (named
    uniquely, so one statement may unnest several batches); else they are named after the
    columns and required when the statement is executed (`arrays`)."""
    if rows is None:
        parameters = [bindparam(column, type_=ARRAY(kind)) for column, kind in columns]
    else:
        values = arrays(rows, columns)
        parameters = [
            bindparam(column, values[column], type_=ARRAY(kind), unique=True)
            for column, kind in columns
        ]
    return (
        func.unnest(*parameters)
        .table_valued(*(column for column, _ in columns))
        .render_derived(name=name)
    )


def arrays(rows: Sequence[Sequence[Any]], columns: Columns) -> dict[str, list[Any]]:
    """Rows (values in the order of `columns`) as one list per column: the parameters."""
    if not rows:
        return {name: [] for name, _ in columns}
    return {
        name: list(values)
        for (name, _), values in zip(columns, zip(*rows, strict=True), strict=True)
    }


def insert_rows(table: Table, rows: Sequence[Mapping[str, Any]]) -> Insert:
    """INSERT of the rows (mappings of the same columns), in their order, as one statement."""
    names = list(rows[0])
    source = unnested(
        "batch",
        [(name, table.c[name].type) for name in names],
        [[row[name] for name in names] for row in rows],
    )
    return insert(table).from_select(names, select(*(source.c[name] for name in names)))
