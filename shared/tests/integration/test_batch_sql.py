"""A batch of rows as one statement, on the real database: every row, its NULLs, its order."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import BigInteger, Text, select

from beacon_shared.batch_sql import arrays, insert_rows, unnested

pytestmark = pytest.mark.integration


async def test_insert_rows_stores_every_row_with_its_nulls_in_the_order_given(
    engine, leased, unique
):
    batch = unique("batch")
    rows = [
        {"id": uuid.uuid4(), "batch": batch, "due": due, "holder": holder}
        for due, holder in ((3, "w-1"), (1, None), (2, "w-2"))
    ]
    async with engine.begin() as conn:
        inserted = await conn.execute(insert_rows(leased, rows).returning(leased.c.id))
        stored = await conn.execute(
            select(leased.c.id, leased.c.batch, leased.c.due, leased.c.holder).where(
                leased.c.batch == batch
            )
        )

    assert list(inserted.scalars()) == [row["id"] for row in rows]
    assert sorted(map(tuple, stored), key=lambda r: r[2]) == sorted(
        (tuple(row.values()) for row in rows), key=lambda r: r[2]
    )


async def test_unnested_rows_are_a_table_to_join_given_now_or_when_executed(engine, leased, unique):
    batch = unique("batch")
    ids = [uuid.uuid4() for _ in range(3)]
    async with engine.begin() as conn:
        await conn.execute(
            insert_rows(
                leased, [{"id": id_, "batch": batch, "due": n} for n, id_ in enumerate(ids)]
            )
        )
    columns = [("batch", Text()), ("due", BigInteger())]

    def joined(wanted):
        return (
            select(leased.c.id)
            .join(wanted, (leased.c.batch == wanted.c.batch) & (leased.c.due == wanted.c.due))
            .order_by(leased.c.due)
        )

    built_once = joined(unnested("wanted", columns))

    async def matching(keys: list[tuple[str, int]]) -> tuple[list[uuid.UUID], list[uuid.UUID]]:
        """What the statement built with the keys finds, and the one built once given them."""
        async with engine.connect() as conn:
            found = await conn.execute(joined(unnested("wanted", columns, keys)))
            given = await conn.execute(built_once, arrays(keys, columns))
            return list(found.scalars()), list(given.scalars())

    assert await matching([(batch, 2), (batch, 0), ("another", 1)]) == ([ids[0], ids[2]],) * 2
    assert await matching([]) == ([], [])


async def test_one_statement_may_unnest_two_batches_of_the_same_columns(engine, leased, unique):
    batch = unique("batch")
    ids = [uuid.uuid4() for _ in range(3)]
    async with engine.begin() as conn:
        await conn.execute(
            insert_rows(
                leased, [{"id": id_, "batch": batch, "due": n} for n, id_ in enumerate(ids)]
            )
        )
    columns = [("batch", Text()), ("due", BigInteger())]
    wanted = unnested("wanted", columns, [(batch, 0), (batch, 1)])
    kept = unnested("kept", columns, [(batch, 1), (batch, 2)])
    async with engine.connect() as conn:
        found = await conn.execute(
            select(leased.c.id)
            .join(wanted, (leased.c.batch == wanted.c.batch) & (leased.c.due == wanted.c.due))
            .join(kept, (leased.c.batch == kept.c.batch) & (leased.c.due == kept.c.due))
        )

    assert list(found.scalars()) == [ids[1]]
