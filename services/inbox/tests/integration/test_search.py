"""A search ranks the latest matching messages, not every match."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from beacon_shared.db import create_sessionmaker
from inbox.conversations import repository, search
from inbox.conversations.schemas import Filters

pytestmark = pytest.mark.integration


async def threads_found(engine, tenant, words, brand_ids=None, joined=True, **kwargs):
    """The threads found, the conditions on conversations read unless `joined` is False (the
    brands then kept by the messages' own)."""
    where = repository.visible(
        tenant_id=tenant, filters=Filters(), assignee=None, brand_ids=brand_ids
    )
    async with create_sessionmaker(engine)() as session:
        rows = await search.search(
            session,
            tenant_id=tenant,
            brand_ids=brand_ids,
            where=where if joined else None,
            words=words,
            limit=10,
            **kwargs,
        )
    return [row.thread_external_id for row in rows]


async def test_the_best_of_the_latest_matches_come_first_and_older_ones_wait(
    engine, unique, receive, moderate
):
    tenant = unique("tenant")
    now = datetime.now(UTC)
    for text, thread, age in (
        ("refund refund refund refund", "p-oldest", 3),
        ("a refund", "p-older", 2),
        ("refund, refund", "p-newest", 1),
    ):
        comment = await receive(
            tenant, text, thread_external_id=thread, created_at=now - timedelta(hours=age)
        )
        await moderate(tenant, comment, language="en")
    assert await threads_found(engine, tenant, "refund") == ["p-oldest", "p-newest", "p-older"]
    assert await threads_found(engine, tenant, "refund", candidates=2) == ["p-newest", "p-older"]


async def test_matches_older_than_the_newest_messages_read_are_found_in_the_index(
    engine, unique, receive, moderate
):
    tenant = unique("tenant")
    now = datetime.now(UTC)
    for text, thread, age in (
        ("refund refund refund", "p-old", 3),
        ("a refund", "p-middle", 2),
        ("nothing to see", "p-new", 1),
    ):
        comment = await receive(
            tenant, text, thread_external_id=thread, created_at=now - timedelta(hours=age)
        )
        await moderate(tenant, comment, language="en")
    # The newest message does not match: the index finds the two older ones.
    assert await threads_found(engine, tenant, "refund", window=1) == ["p-old", "p-middle"]
    assert await threads_found(engine, tenant, "refund", window=1, candidates=1) == ["p-middle"]
    assert await threads_found(engine, tenant, "nothing", window=1) == ["p-new"]


@pytest.mark.parametrize("joined", [True, False], ids=["conditions", "brands-only"])
async def test_a_search_kept_to_brands_reads_their_newest_messages(
    engine, unique, receive, moderate, joined
):
    tenant = unique("tenant")
    now = datetime.now(UTC)
    for thread, brand, age in (
        ("p-1-old", "brand-1", 5),
        ("p-2", "brand-2", 4),
        ("p-3", "brand-3", 3),
        ("p-1-new", "brand-1", 2),
        ("p-none", None, 1),
    ):
        comment = await receive(
            tenant,
            "refund",
            thread_external_id=thread,
            brand_id=brand,
            created_at=now - timedelta(hours=age),
        )
        await moderate(tenant, comment, language="en")
    two = frozenset({"brand-1", "brand-2"})
    found = await threads_found(engine, tenant, "refund", brand_ids=two, window=2)
    assert sorted(found) == ["p-1-new", "p-1-old", "p-2"]
    newest_two = await threads_found(
        engine, tenant, "refund", brand_ids=two, window=2, candidates=2
    )
    assert sorted(newest_two) == ["p-1-new", "p-2"]
    assert await threads_found(engine, tenant, "refund", brand_ids=frozenset()) == []
    everything = await threads_found(engine, tenant, "refund")
    assert sorted(everything) == ["p-1-new", "p-1-old", "p-2", "p-3", "p-none"]
