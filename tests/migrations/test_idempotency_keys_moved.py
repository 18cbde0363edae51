"""Idempotency-Keys move from the publisher's posts and analytics' conversions into each
service's table of keys: on a database the old schema filled, a retry after the upgrade gets the
same post or conversions back, another body under the key is refused, and the downgrade puts the
keys back where they were."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import MetaData, Table, insert, select
from sqlalchemy.ext.asyncio import create_async_engine

from analytics.roi import conversions
from analytics.roi.conversions import Submission
from analytics.roi.schemas import ConversionIn
from beacon_shared import idempotency
from beacon_shared.db import create_sessionmaker
from beacon_shared.idempotency import IdempotencyKeyReused
from beacon_shared.migrations import downgrade, upgrade
from beacon_shared.testing.databases import database_at
from publisher.authoring.models import post_keys
from publisher.authoring.service import CreatedPost

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
IAM = ROOT / "shared" / "alembic.ini"
ANALYTICS = ROOT / "services" / "analytics" / "alembic.ini"
PUBLISHER = ROOT / "services" / "publisher" / "alembic.ini"
ANALYTICS_BEFORE = "5f2a9c7e1d40"  # the last revision whose conversions hold their key
PUBLISHER_BEFORE = "9a4c6e1f3b52"  # the last revision whose posts hold their key
TENANT = "acme"


def at() -> datetime:
    return datetime.now(UTC) - timedelta(days=2)


def click(n: int) -> ConversionIn:
    return ConversionIn.model_validate(
        {"kind": "click", "occurred_at": at().isoformat(), "utm_source": "x", "utm_content": str(n)}
    )


def conversion_row(body: ConversionIn, key: str) -> dict[str, Any]:
    """A conversion as the old schema stored it, with its key."""
    return {
        "id": uuid.uuid4(),
        "tenant_id": TENANT,
        "idempotency_key": key,
        "request_hash": conversions.fingerprint(body),
        "kind": "click",
        "occurred_at": body.occurred_at,
        "utm_source": "x",
        "utm_content": body.utm_content,
        "network": "x",
        "unattributed_reason": "no_utm_campaign",
        "received_at": at(),
    }


def table(sync_conn: Any, name: str, schema: str) -> Table:
    """A table as the database has it (its columns change across the revisions)."""
    return Table(name, MetaData(), schema=schema, autoload_with=sync_conn)


async def test_conversion_keys_replay_their_conversions_after_the_move(database_server_url):
    revisions = [(IAM, "head"), (ANALYTICS, ANALYTICS_BEFORE)]
    async with database_at(database_server_url, revisions) as url:
        engine = create_async_engine(url)
        single, batch = click(1), [click(2), click(3)]
        rows = [
            conversion_row(single, "order-1"),
            conversion_row(batch[0], "batch:cart:7:0"),
            conversion_row(batch[1], "batch:cart:7:1"),
        ]
        async with engine.begin() as conn:
            old = await conn.run_sync(table, "conversion", "analytics")
            await conn.execute(insert(old), rows)
            keys_before = {r.id: r.idempotency_key for r in await conn.execute(select(old))}

        await asyncio.to_thread(upgrade, ANALYTICS, url)

        async def retry(key: str, bodies: list[ConversionIn]) -> tuple[list[uuid.UUID], bool]:
            async with create_sessionmaker(engine)() as session, session.begin():
                stored, replayed = await conversions.record_once(
                    session,
                    tenant_id=TENANT,
                    key=key,
                    request=(
                        conversions.fingerprint(bodies[0])
                        if len(bodies) == 1
                        else conversions.batch_fingerprint(bodies)
                    ),
                    submissions=[Submission(b) for b in bodies],
                )
            return [s.row["id"] for s in stored], replayed

        assert await retry("order-1", [single]) == ([rows[0]["id"]], True)
        assert await retry("cart:7", batch) == ([rows[1]["id"], rows[2]["id"]], True)
        with pytest.raises(IdempotencyKeyReused):
            await retry("cart:7", [batch[1], batch[0]])

        await asyncio.to_thread(downgrade, ANALYTICS, url, ANALYTICS_BEFORE)
        async with engine.connect() as conn:
            old = await conn.run_sync(table, "conversion", "analytics")
            keys_after = {r.id: r.idempotency_key for r in await conn.execute(select(old))}
        assert keys_after == keys_before
        await asyncio.to_thread(upgrade, ANALYTICS, url)
        await engine.dispose()


async def test_post_keys_replay_their_posts_after_the_move(database_server_url):
    revisions = [(IAM, "head"), (PUBLISHER, PUBLISHER_BEFORE)]
    async with database_at(database_server_url, revisions) as url:
        engine = create_async_engine(url)
        sent = {"text": "Launch day", "brand_id": "brand-1", "targets": []}
        post_id = uuid.uuid4()
        async with engine.begin() as conn:
            old = await conn.run_sync(table, "post", "publisher")
            await conn.execute(
                insert(old).values(
                    id=post_id,
                    tenant_id=TENANT,
                    brand_id="brand-1",
                    text="Launch day",
                    status="draft",
                    idempotency_key="launch-1",
                    # The digest the posts API took of its body, the one it takes now.
                    request_hash=idempotency.fingerprint(sent),
                    created_at=at(),
                    updated_at=at(),
                )
            )

        await asyncio.to_thread(upgrade, PUBLISHER, url)

        async def retry(body: dict[str, Any]) -> idempotency.Answer[CreatedPost]:
            async def produce(_session: Any) -> CreatedPost:
                raise AssertionError("a replay creates nothing")

            async with create_sessionmaker(engine)() as session, session.begin():
                return await idempotency.answer_once(
                    post_keys,
                    idempotency.savepoints(session),
                    tenant_id=TENANT,
                    key="launch-1",
                    request=idempotency.fingerprint(body),
                    model=CreatedPost,
                    produce=produce,
                )

        answer = await retry(sent)
        assert (answer.value.post_id, answer.replayed) == (post_id, True)
        with pytest.raises(IdempotencyKeyReused):
            await retry({**sent, "text": "Other"})

        await asyncio.to_thread(downgrade, PUBLISHER, url, PUBLISHER_BEFORE)
        async with engine.connect() as conn:
            old = await conn.run_sync(table, "post", "publisher")
            row = (await conn.execute(select(old.c.idempotency_key, old.c.request_hash))).one()
        assert tuple(row) == ("launch-1", idempotency.fingerprint(sent))
        await asyncio.to_thread(upgrade, PUBLISHER, url)
        await engine.dispose()
