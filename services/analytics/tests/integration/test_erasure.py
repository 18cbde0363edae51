"""An author's erasure: their own rollup rows deleted, the brand's totals and another author's
rows kept, and the count reported."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import orjson
import pytest
from sqlalchemy import select

from analytics.db import outbox
from analytics.privacy.handlers import erasure_requested
from beacon_shared.contracts.common import Network
from beacon_shared.contracts.workspace import ErasureRequested
from beacon_shared.events import Envelope

pytestmark = pytest.mark.integration


async def erase(session, tenant, *, author_id, network=Network.facebook):
    request = ErasureRequested(
        erasure_id=uuid.uuid4(),
        brand_id=None,
        network=network,
        author_id=author_id,
        requested_by="user:test",
        requested_at=datetime.now(UTC),
    )
    await erasure_requested(
        session,
        Envelope.build(
            request, tenant_id=tenant, subject=str(request.erasure_id), source="/beacon/workspace"
        ),
    )
    value = await session.scalar(
        select(outbox.c.value).where(outbox.c.key == str(request.erasure_id))
    )
    staged = orjson.loads(value)
    assert staged["type"] == "analytics.erasure.completed"
    return staged["data"]["erased"]


def keys(rows):
    return {key for (_, _, key, _, _) in rows}


class TestErasure:
    async def test_the_authors_rows_go_and_the_totals_and_others_stay(
        self, db_session, events, consume, rollups
    ):
        await consume(
            db_session,
            [
                events.comment(network=Network.facebook, author="ann"),
                events.comment(network=Network.facebook, author="bob"),
                events.comment(network=Network.x, author="ann"),
            ],
        )
        totals = await rollups(db_session, events.tenant_id, dimension="total")
        authors = await rollups(db_session, events.tenant_id, dimension="author")
        assert keys(authors) == {"facebook:ann", "facebook:bob", "x:ann"}

        erased = await erase(db_session, events.tenant_id, author_id="ann")

        left = await rollups(db_session, events.tenant_id, dimension="author")
        assert keys(left) == {"facebook:bob", "x:ann"}
        assert erased == {"author_rollups": len(authors) - len(left)}
        assert erased["author_rollups"] > 0
        assert await rollups(db_session, events.tenant_id, dimension="total") == totals
