"""The inbox's schema, its inbox of handled events and its outbox of events to publish."""

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import ColumnElement, and_, false, or_, tuple_

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
