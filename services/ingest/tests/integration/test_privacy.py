"""An author's erasure keeps only their interactions' ids, so that the network's redelivery is not
filed again; raw payloads are cleared past their retention."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import orjson
import pytest
from sqlalchemy import select, update

from beacon_shared.contracts.common import Author, Network
from beacon_shared.contracts.ingest import InteractionKind
from beacon_shared.contracts.workspace import ErasureRequested
from beacon_shared.db import create_sessionmaker
from beacon_shared.events import Envelope
from ingest.db import outbox
from ingest.interactions import repository as interactions
from ingest.interactions import service
from ingest.interactions.interaction import Interaction
from ingest.interactions.models import interaction
from ingest.interactions.retention import clear_expired
from ingest.interactions.schemas import InteractionQuery
from ingest.privacy.handlers import erasure_requested

pytestmark = pytest.mark.integration


def comment(external_id: str, author_id: str = "u-1", **overrides: object) -> Interaction:
    fields: dict[str, object] = {
        "kind": InteractionKind.comment,
        "external_id": external_id,
        "thread_external_id": "post-1",
        "author": Author(network_id=author_id, handle=f"@{author_id}", display_name="Someone"),
        "text": f"a comment by {author_id}",
        "created_at": datetime.now(UTC) - timedelta(minutes=5),
        "raw": {"from": author_id},
    }
    fields.update(overrides)
    return Interaction.model_validate(fields)


async def erase(session, tenant, *, author_id="u-1", network=Network.custom):
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
    assert staged["type"] == "ingest.erasure.completed"
    return staged["data"]["erased"]


async def rows_of(session, tenant):
    result = await session.execute(
        select(interaction)
        .where(interaction.c.tenant_id == tenant)
        .order_by(interaction.c.external_id)
    )
    return result.all()


class TestErasure:
    async def test_the_authors_interactions_keep_their_ids_and_nothing_about_them(
        self, db_session, unique
    ):
        tenant = unique("tenant")
        await service.accept(
            db_session,
            tenant_id=tenant,
            items=[comment("a"), comment("b"), comment("c", author_id="u-2")],
        )

        erased = await erase(db_session, tenant)

        assert erased == {"interactions": 2, "actions": 0}
        a, b, c = await rows_of(db_session, tenant)
        for row in (a, b):
            assert (row.author_id, row.author_handle, row.author_name) == ("", None, None)
            assert (row.text, row.raw) == ("", None)
            assert row.erased_at is not None
        assert (c.author_id, c.text, c.raw) == ("u-2", "a comment by u-2", {"from": "u-2"})
        assert c.erased_at is None

    async def test_a_redelivered_interaction_is_not_filed_again(self, db_session, unique):
        tenant = unique("tenant")
        await service.accept(db_session, tenant_id=tenant, items=[comment("a")])
        await erase(db_session, tenant)

        (again,) = await service.accept(db_session, tenant_id=tenant, items=[comment("a")])

        assert again.duplicate
        (row,) = await rows_of(db_session, tenant)
        assert row.text == ""

    async def test_erased_interactions_leave_the_list(self, db_session, unique):
        tenant = unique("tenant")
        await service.accept(
            db_session, tenant_id=tenant, items=[comment("a"), comment("b", author_id="u-2")]
        )
        await erase(db_session, tenant)

        listed = await interactions.list_interactions(
            db_session, tenant_id=tenant, query=InteractionQuery(), after=None, limit=10
        )

        assert [r.external_id for r in listed] == ["b"]

    async def test_another_network_is_left_alone(self, db_session, unique):
        tenant = unique("tenant")
        await service.accept(db_session, tenant_id=tenant, items=[comment("a")])

        erased = await erase(db_session, tenant, network=Network.x)

        assert erased["interactions"] == 0
        (row,) = await rows_of(db_session, tenant)
        assert row.text == "a comment by u-1"


class TestRetention:
    async def test_payloads_past_the_retention_are_cleared_and_the_rest_kept(self, engine, unique):
        tenant = unique("tenant")
        sessions = create_sessionmaker(engine)
        async with sessions() as session, session.begin():
            await service.accept(
                session, tenant_id=tenant, items=[comment("old"), comment("recent")]
            )
            now = datetime.now(UTC)
            for external_id, age in (("old", timedelta(days=31)), ("recent", timedelta(days=29))):
                await session.execute(
                    update(interaction)
                    .where(
                        interaction.c.tenant_id == tenant,
                        interaction.c.external_id == external_id,
                    )
                    .values(received_at=now - age)
                )

        cleared = await clear_expired(sessions, retention=timedelta(days=30))

        assert cleared >= 1
        async with sessions() as session:
            old, recent = await rows_of(session, tenant)
        assert (old.external_id, old.raw) == ("old", None)
        assert old.text == "a comment by u-1"
        assert recent.raw == {"from": "u-1"}
