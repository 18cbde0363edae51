"""Transactional outbox: stage events with the state change, in the caller's transaction; the
relay (`beacon_shared.outbox_relay`) publishes them to Kafka after commit.

Relayed rows are kept for a retention window, marked with when and where the broker acknowledged
them (`outbox_position`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple
from uuid import UUID

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Identity,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    Table,
    Text,
    func,
    insert,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.dialects.postgresql import UUID as PgUUID
from sqlalchemy.ext.asyncio import AsyncSession

from beacon_shared.contracts import EVENT_TYPES
from beacon_shared.events import Envelope, encode, record_headers
from beacon_shared.tracing import (
    event_traceparent,
)


def outbox_table(metadata: MetaData) -> Table:
    """`<schema>.outbox`: staged events; once the broker acknowledged one, `relayed_at` and its
    partition and offset are set and the row is kept for the retention window.

    It also defines `<schema>.outbox_position` in the same metadata (see `position_table`).
    """
    table = Table(
        "outbox",
        metadata,
        Column("id", BigInteger, Identity(always=True), primary_key=True),
        Column("event_id", PgUUID(as_uuid=True), nullable=False),
        Column("topic", Text, nullable=False),
        Column("key", Text, nullable=False),
        Column("value", LargeBinary, nullable=False),
        Column("headers", JSONB, nullable=False),
        Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        Column("relayed_at", DateTime(timezone=True)),
        Column("relayed_partition", Integer),
        Column("relayed_offset", BigInteger),
        # The relay claims unsent rows in id order, however many relayed rows are retained.
        Index("ix_outbox_unsent", "id", postgresql_where=text("relayed_at IS NULL")),
        # The prune finds the rows past the window without reading the rest.
        Index(
            "ix_outbox_relayed_at", "relayed_at", postgresql_where=text("relayed_at IS NOT NULL")
        ),
    )
    Table(
        "outbox_position",
        metadata,
        Column("topic", Text, primary_key=True),
        Column("partition", Integer, primary_key=True),
        # The cluster that acknowledged, and the highest offset it acknowledged on the partition.
        Column("cluster_id", Text, nullable=False),
        Column("acked_offset", BigInteger, nullable=False),
        Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    )
    return table


def position_table(outbox: Table) -> Table:
    """`<schema>.outbox_position` of an outbox: per partition, the highest offset the broker
    acknowledged to the relay and the cluster that did, to tell when it lost them."""
    return outbox.metadata.tables[
        f"{outbox.schema}.outbox_position" if outbox.schema else "outbox_position"
    ]


def notify_channel(table: Table) -> str:
    """The LISTEN/NOTIFY channel that wakes the relay of `table`'s schema."""
    return f"{table.schema}_outbox"


class OutboxRecord(NamedTuple):
    """One row of an outbox, as `stage` inserts it."""

    event_id: UUID
    topic: str
    key: str
    value: bytes
    headers: list[list[str]]


def outbox_records(
    envelopes: Sequence[Envelope], *, keys: Sequence[str] = ()
) -> list[OutboxRecord]:
    """The rows that publish `envelopes`, encoded in the caller's context (its trace).

    Each record's key defaults to the envelope's subject, so one aggregate's events stay ordered.
    An event caused by a record of the batch being handled continues that record's trace.
    """
    return [
        OutboxRecord(
            event_id=env.id,
            topic=_topic_of(env),
            key=keys[i] if keys else env.subject,
            value=encode(env),
            headers=_headers(env),
        )
        for i, env in enumerate(envelopes)
    ]


def _headers(envelope: Envelope) -> list[list[str]]:
    traceparent = event_traceparent(envelope.causationid)
    return [
        [k, traceparent if k == "traceparent" else v.decode()] for k, v in record_headers(envelope)
    ]


async def stage(
    session: AsyncSession, table: Table, envelopes: Sequence[Envelope], *, keys: Sequence[str] = ()
) -> None:
    """Insert events in the caller's transaction; the relay publishes them after it commits."""
    if not envelopes:
        return
    rows = [record._asdict() for record in outbox_records(envelopes, keys=keys)]
    await session.execute(insert(table), rows)
    # Delivered on commit only, and folded into one notification per transaction.
    await session.execute(
        text("SELECT pg_notify(:channel, '')"), {"channel": notify_channel(table)}
    )


def _topic_of(envelope: Envelope) -> str:
    model = EVENT_TYPES.get(envelope.type)
    if model is None:
        raise ValueError(f"no contract declares event type {envelope.type!r}")
    return model.topic
