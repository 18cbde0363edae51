"""The inbox's schema, its inbox of handled events and its outbox of events to publish."""

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import ColumnElement, Select, Table, and_, false, func, literal, or_, select, tuple_
from sqlalchemy.dialects.postgresql import ARRAY, Insert, insert
from sqlalchemy.types import TypeEngine

from beacon_shared.consumer import inbox_table
from beacon_shared.db import make_metadata
from beacon_shared.outbox import outbox_table

SCHEMA = "inbox"
# The `source` of the events the inbox publishes.
SOURCE = "/beacon/inbox"
metadata = make_metadata(SCHEMA)
inbox = inbox_table(metadata)
outbox = outbox_table(metadata)


def keys_in(
    columns: Sequence[ColumnElement[Any]], keys: Iterable[Sequence[Any]]
) -> ColumnElement[bool]:
    """Rows whose `columns` equal one of the `keys`, a None in a key matching NULL: one row-value
    IN per pattern of NULLs, so each still reads the unique index of those columns."""
    by_nulls: dict[tuple[bool, ...], list[tuple[Any, ...]]] = {}
    for key in keys:
        nulls = tuple(value is None for value in key)
        by_nulls.setdefault(nulls, []).append(tuple(v for v in key if v is not None))
    return or_(
        false(),
        *(
            and_(
                *(column.is_(None) for column, null in zip(columns, nulls, strict=True) if null),
                tuple_(*(col for col, null in zip(columns, nulls, strict=True) if not null)).in_(
                    values
                ),
            )
            for nulls, values in by_nulls.items()
        ),
    )


def unnested(
    types: Mapping[str, TypeEngine[Any]], rows: Sequence[Mapping[str, Any]]
) -> Select[Any]:
    """The rows as a SELECT of one array parameter per column (of these types): the same
    statement whatever their number, compiled and prepared once, where a VALUES list of a batch
    costs more to build than to run."""
    return select(
        *(
            func.unnest(literal([row[name] for row in rows], ARRAY(type_))).label(name)
            for name, type_ in types.items()
        )
    )


def insert_rows(table: Table, rows: Sequence[Mapping[str, Any]]) -> Insert:
    """INSERT of the rows, in their order, as one statement (`unnested`)."""
    names = list(rows[0])
    return insert(table).from_select(
        names, unnested({name: table.c[name].type for name in names}, rows)
    )
