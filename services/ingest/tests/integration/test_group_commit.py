"""Group commit: concurrent submissions share a transaction and keep their own results."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select, text

from beacon_shared.db import create_engine, database_unavailable
from beacon_shared.events import decode
from beacon_shared.tracing import current_correlation_id
from ingest.db import outbox
from ingest.interactions.group_commit import GroupCommitter
from ingest.interactions.interaction import Interaction
from ingest.interactions.models import interaction

pytestmark = pytest.mark.integration


def item(external_id: str) -> Interaction:
    return Interaction.model_validate(
        {
            "kind": "comment",
            "external_id": external_id,
            "author": {"network_id": "u"},
            "text": "hello",
            "created_at": "2026-11-24T10:00:00Z",
        }
    )


async def transactions_of(engine, tenants: list[str]) -> int:
    """How many transactions wrote the tenants' rows (rows of one transaction share xmin)."""
    async with engine.connect() as conn:
        return (
            await conn.execute(
                select(func.count(text("DISTINCT xmin::text")))
                .select_from(interaction)
                .where(interaction.c.tenant_id.in_(tenants))
            )
        ).scalar_one()


async def test_concurrent_submissions_are_written_in_one_transaction(engine, unique):
    committer = GroupCommitter(engine, window_seconds=0.05)
    tenants = [unique("a"), unique("b")]
    submissions = [
        committer.accept(tenant_id=tenants[n % 2], items=[item(f"c-{n}"), item(f"c-{n}-bis")])
        for n in range(20)
    ]

    results = await asyncio.gather(*submissions)
    await committer.close()

    assert [[r.external_id for r in result] for result in results] == [
        [f"c-{n}", f"c-{n}-bis"] for n in range(20)
    ]
    assert not any(r.duplicate for result in results for r in result)
    assert await transactions_of(engine, tenants) == 1


async def test_the_same_interaction_sent_concurrently_is_stored_once(engine, unique):
    committer = GroupCommitter(engine, window_seconds=0.05)
    tenant = unique("t")

    first, second = await asyncio.gather(
        committer.accept(tenant_id=tenant, items=[item("same")]),
        committer.accept(tenant_id=tenant, items=[item("same")]),
    )
    await committer.close()

    assert first[0].duplicate is False
    assert second[0].duplicate is True
    assert second[0].id == first[0].id


async def test_a_submission_that_fails_does_not_fail_its_neighbours(engine, unique):
    committer = GroupCommitter(engine, window_seconds=0.05)
    tenant = unique("t")
    poisoned = item("bad")
    object.__setattr__(poisoned, "external_id", "bad\x00id")  # PostgreSQL refuses U+0000

    good, bad, also_good = await asyncio.gather(
        committer.accept(tenant_id=tenant, items=[item("g-1")]),
        committer.accept(tenant_id=tenant, items=[poisoned]),
        committer.accept(tenant_id=tenant, items=[item("g-2")]),
        return_exceptions=True,
    )
    await committer.close()

    assert isinstance(bad, Exception)
    assert [r.external_id for r in good] == ["g-1"]
    assert [r.external_id for r in also_good] == ["g-2"]
    async with engine.connect() as conn:
        stored = (
            (
                await conn.execute(
                    select(interaction.c.external_id)
                    .where(interaction.c.tenant_id == tenant)
                    .order_by(interaction.c.external_id)
                )
            )
            .scalars()
            .all()
        )
    assert stored == ["g-1", "g-2"]


async def test_submissions_in_separate_windows_get_separate_transactions(engine, unique):
    committer = GroupCommitter(engine, window_seconds=0.001)
    tenant = unique("t")

    await committer.accept(tenant_id=tenant, items=[item("one")])
    await committer.accept(tenant_id=tenant, items=[item("two")])
    await committer.close()

    assert await transactions_of(engine, [tenant]) == 2


async def test_each_event_of_a_shared_transaction_keeps_its_own_submitters_correlation(
    engine, unique
):
    committer = GroupCommitter(engine, window_seconds=0.05)
    tenant = unique("t")

    async def submit(n: int) -> None:
        current_correlation_id.set(f"request-{n}")
        await committer.accept(tenant_id=tenant, items=[item(f"c-{n}")])

    await asyncio.gather(*(submit(n) for n in range(5)))
    await committer.close()

    assert await transactions_of(engine, [tenant]) == 1
    async with engine.connect() as conn:
        values = (await conn.execute(select(outbox.c.value))).scalars().all()
    events = [decode(value) for value in values]
    correlation_of = {
        e.data["external_id"]: e.correlationid for e in events if e.tenantid == tenant
    }
    assert correlation_of == {f"c-{n}": f"request-{n}" for n in range(5)}


async def test_a_connection_the_server_dropped_is_not_handed_to_the_next_group(
    database_url, unique
):
    # One pooled connection, so the next group would get the dropped one back.
    own = create_engine(database_url, pool_size=1, app_name="group-commit-dropped")
    committer = GroupCommitter(own, window_seconds=0.001)
    tenant = unique("dropped")
    try:
        await committer.accept(tenant_id=tenant, items=[item("before")])
        async with own.connect() as conn:
            pid = (await conn.execute(text("SELECT pg_backend_pid()"))).scalar_one()
        # As a server restart does to every open connection.
        async with create_engine(database_url, pool_size=1).connect() as admin:
            await admin.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})

        # Which error depends on when the client notices: "terminated", "closed", "does not
        # exist" or a protocol state clash while the termination notice is read; raw or wrapped.
        # Each is one the API answers with 503, for the client to retry.
        with pytest.raises(Exception) as dropped:  # noqa: PT011 (judged just below)
            await committer.accept(tenant_id=tenant, items=[item("during")])
        assert database_unavailable(dropped.value), repr(dropped.value)
        after = await committer.accept(tenant_id=tenant, items=[item("after")])

        assert [r.external_id for r in after] == ["after"]
    finally:
        await committer.close()
        await own.dispose()
