"""accept(): one row and one event per distinct interaction, however it is repeated."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from beacon_shared.contracts.common import Author
from beacon_shared.contracts.ingest import CommentReceived, InteractionKind
from beacon_shared.events import decode
from ingest.db import outbox
from ingest.interactions import service
from ingest.interactions.interaction import Interaction
from ingest.interactions.models import interaction

pytestmark = pytest.mark.integration


def comment(external_id: str, **overrides: object) -> Interaction:
    fields: dict[str, object] = {
        "kind": InteractionKind.comment,
        "external_id": external_id,
        "thread_external_id": "post-1",
        "author": Author(network_id="u-1"),
        "text": "hi",
        "created_at": datetime(2026, 11, 24, 10, tzinfo=UTC),
    }
    fields.update(overrides)
    return Interaction.model_validate(fields)


async def counts(session, tenant: str) -> tuple[int, int]:
    rows = await session.scalar(
        select(func.count()).select_from(interaction).where(interaction.c.tenant_id == tenant)
    )
    events = await session.scalar(
        select(func.count()).select_from(outbox).where(outbox.c.value.contains(tenant.encode()))
    )
    return rows, events


async def test_repeats_within_and_across_calls_store_and_stage_once(db_session, unique):
    tenant = unique("tenant")

    first = await service.accept(
        db_session, tenant_id=tenant, items=[comment("a"), comment("a"), comment("b")]
    )
    second = await service.accept(db_session, tenant_id=tenant, items=[comment("b"), comment("c")])

    assert [r.duplicate for r in first] == [False, True, False]
    assert first[1].id == first[0].id
    assert [r.duplicate for r in second] == [True, False]
    assert second[0].id == first[2].id
    assert await counts(db_session, tenant) == (3, 3)


async def test_the_same_external_id_on_two_networks_is_two_interactions(db_session, unique):
    tenant = unique("tenant")

    results = await service.accept(
        db_session, tenant_id=tenant, items=[comment("a"), comment("a", network="x")]
    )

    assert [r.duplicate for r in results] == [False, False]
    assert results[0].id != results[1].id


async def test_a_future_created_at_is_clamped_in_the_row_and_the_event(db_session, unique):
    tenant = unique("tenant")
    future = datetime.now(UTC) + timedelta(hours=6)

    (accepted,) = await service.accept(
        db_session, tenant_id=tenant, items=[comment("a", created_at=future, raw={"src": 1})]
    )

    row = (
        await db_session.execute(select(interaction).where(interaction.c.id == accepted.id))
    ).one()
    staged = await db_session.scalar(
        select(outbox.c.value).where(outbox.c.value.contains(tenant.encode()))
    )
    assert row.created_at == row.received_at
    assert row.raw == {"src": 1, "created_at_clamped": True}
    assert decode(staged).payload(CommentReceived).created_at == row.received_at
