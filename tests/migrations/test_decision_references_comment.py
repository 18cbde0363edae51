"""Moderation's decisions stop copying their comment: on a database the old schema filled, the
upgrade keeps every decision's API answer as it was (read from the stored comment now), gives
the decisions taken before comments were stored a comment rebuilt from their copy, and the
downgrade puts the copies back."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import MetaData, Table, insert, select
from sqlalchemy.ext.asyncio import create_async_engine

from beacon_shared.db import create_sessionmaker
from beacon_shared.migrations import downgrade, upgrade
from beacon_shared.testing.databases import database_at
from moderation.comments.models import comment
from moderation.decisions import service as decisions
from moderation.decisions.schemas import DecisionOut, DecisionQuery

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
IAM = ROOT / "shared" / "alembic.ini"
MODERATION = ROOT / "services" / "moderation" / "alembic.ini"
BEFORE = "9369a27ee1ee"  # the last revision whose decisions copy their comment
AT = datetime(2026, 11, 24, 12, tzinfo=UTC)
LONG = "This is a long comment. " * 30  # over the 500 characters of an excerpt


@pytest.fixture
async def old_database_url(database_server_url: str):
    """A new database with iam at head and moderation as it was before; dropped afterwards."""
    async with database_at(database_server_url, [(IAM, "head"), (MODERATION, BEFORE)]) as url:
        yield url


def copied_decision(tenant: str, interaction_id: uuid.UUID, **copy: Any) -> dict[str, Any]:
    """A decision row of the old schema, with its copy of the comment."""
    return {
        "id": uuid.uuid4(),
        "tenant_id": tenant,
        "interaction_id": interaction_id,
        "brand_id": "brand-1",
        "action": "hide",
        "decided_by": "rule:default.spam",
        "reasons": ["spam:smm_panel"],
        "model_version": "shared-2026.12.2",
        "scores": {"toxicity": 0.1, "sentiment": -0.2},
        "decided_at": AT,
        **copy,
    }


async def test_decisions_read_their_comment_and_answer_as_before(old_database_url):
    engine = create_async_engine(old_database_url)
    tenant = "acme"
    kept, early = uuid.uuid4(), uuid.uuid4()
    async with engine.begin() as conn:
        old = await conn.run_sync(_decision_table)
        # A comment moderation stored with its decision, which copied part of it.
        await conn.execute(
            insert(comment).values(
                tenant_id=tenant,
                interaction_id=kept,
                brand_id="brand-1",
                account_id="acc-1",
                network="instagram",
                kind="reply",
                external_id="c-1",
                thread_external_id="post-1",
                author_id="u-1",
                author_handle="alice",
                text=LONG,
                language="en",
                created_at=AT - timedelta(minutes=1),
                received_at=AT,
            )
        )
        await conn.execute(
            insert(old).values(
                copied_decision(
                    tenant,
                    kept,
                    network="instagram",
                    kind="reply",
                    external_id="c-1",
                    thread_external_id="post-1",
                    author_handle="alice",
                    text_excerpt=LONG[:500],
                )
            )
        )
        # A decision taken before moderation stored comments: its copy is all there is.
        await conn.execute(
            insert(old).values(
                copied_decision(
                    tenant,
                    early,
                    network="x",
                    kind="mention",
                    external_id="t-9",
                    thread_external_id=None,
                    author_handle=None,
                    text_excerpt="cheap followers here",
                )
            )
        )
        before = {
            row.interaction_id: DecisionOut.model_validate(dict(row._mapping)).model_dump()
            for row in await conn.execute(select(old))
        }
        copies = {row.id: dict(row._mapping) for row in await conn.execute(select(old))}

    await asyncio.to_thread(upgrade, MODERATION, old_database_url)

    sessions = create_sessionmaker(engine)
    async with sessions() as session:
        page, _ = await decisions.list_page(session, tenant_id=tenant, query=DecisionQuery())
        after = {d.decision.interaction_id: DecisionOut.from_rows(*d).model_dump() for d in page}
        rebuilt = (
            await session.execute(
                select(comment).where(
                    comment.c.tenant_id == tenant, comment.c.interaction_id == early
                )
            )
        ).one()
    assert after == before
    assert (rebuilt.text, rebuilt.author_id, rebuilt.language, rebuilt.received_at) == (
        "cheap followers here",
        "",
        "und",
        AT,
    )

    # Back to the copies, as they were; and up again.
    await asyncio.to_thread(downgrade, MODERATION, old_database_url, BEFORE)
    async with engine.connect() as conn:
        old = await conn.run_sync(_decision_table)
        restored = {row.id: dict(row._mapping) for row in await conn.execute(select(old))}
    assert restored == copies
    await asyncio.to_thread(upgrade, MODERATION, old_database_url)
    await engine.dispose()


def _decision_table(sync_conn: Any) -> Table:
    """The decision table as the database has it (its columns change across the revisions)."""
    return Table("decision", MetaData(), schema="moderation", autoload_with=sync_conn)
