"""A worker built like every service's, for the shutdown tests: `python drain_worker.py`.

It consumes `DRAIN_TOPIC` in group `DRAIN_GROUP` a batch at a time; each record it handles
leaves a ledger row (who handled it) and stages one follow-up on `DRAIN_FOLLOW_UP` in its
outbox, keyed `<member>:<record key>`, relayed by its outbox relay. Tables live in the schema
`DRAIN_SCHEMA` (created by the test). `DRAIN_HANDLE_SECONDS` slows each batch, so a stream lasts.
Platform settings (DATABASE_URL, KAFKA_BOOTSTRAP, SERVICE_NAME, WORKER_PORT, ...) come from the
environment, as in a deployed worker; without `DRAIN_RELAY=0` it runs the outbox relay too.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Sequence

from sqlalchemy import Column, DateTime, MetaData, Table, Text, func, insert, text
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.ext.asyncio import AsyncSession

from beacon_shared.consumer import Consumer, inbox_table
from beacon_shared.events import Envelope
from beacon_shared.outbox import notify_channel, outbox_table
from beacon_shared.settings import ServiceSettings
from beacon_shared.topics import TopicSpec
from beacon_shared.worker import WorkerSpec, worker_main

EVENT_TYPE = "drain.record.sent"


def tables(schema: str) -> tuple[Table, Table, Table]:
    """The worker's inbox, outbox and ledger in `schema`."""
    metadata = MetaData(schema=schema)
    ledger = Table(
        "ledger",
        metadata,
        # No unique key: a record handled twice would show as two rows.
        Column("event_id", UUID(as_uuid=True), nullable=False),
        Column("member", Text, nullable=False),
        Column("handled_at", DateTime(timezone=True), server_default=func.now()),
    )
    return inbox_table(metadata), outbox_table(metadata), ledger


def spec_from_env(
    env: dict[str, str], *, member: str, handle_seconds: float
) -> tuple[WorkerSpec, dict[str, float]]:
    """The worker's spec, and its pace: `pace["seconds"]` per batch, changeable while it runs."""
    inbox, outbox, ledger = tables(env["DRAIN_SCHEMA"])
    follow_up = env["DRAIN_FOLLOW_UP"]
    pace = {"seconds": handle_seconds}

    async def handle(session: AsyncSession, envelopes: Sequence[Envelope]) -> None:
        await session.execute(
            insert(ledger), [{"event_id": env.id, "member": member} for env in envelopes]
        )
        await session.execute(
            insert(outbox),
            [
                {
                    "event_id": env.id,
                    "topic": follow_up,
                    "key": f"{member}:{env.subject}",
                    "value": str(env.id).encode(),
                    "headers": [],
                }
                for env in envelopes
            ],
        )
        await session.execute(
            text("SELECT pg_notify(:channel, '')"), {"channel": notify_channel(outbox)}
        )
        await asyncio.sleep(pace["seconds"])

    spec = WorkerSpec(
        topics=[
            TopicSpec(env["DRAIN_TOPIC"], 6, "records to drain"),
            TopicSpec(follow_up, 1, "follow-ups"),
        ],
        outbox=outbox if env.get("DRAIN_RELAY", "1") == "1" else None,
        inbox=inbox,
        consumers=[
            Consumer(
                group_id=env["DRAIN_GROUP"],
                topics=[env["DRAIN_TOPIC"]],
                batch_handlers={EVENT_TYPE: handle},
            )
        ],
    )
    return spec, pace


if __name__ == "__main__":
    environment = dict(os.environ)
    worker_spec, _ = spec_from_env(
        environment,
        member=environment["DRAIN_MEMBER"],
        handle_seconds=float(environment["DRAIN_HANDLE_SECONDS"]),
    )
    worker_main(ServiceSettings(), worker_spec)
