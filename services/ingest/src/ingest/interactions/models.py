"""The normalised interaction table, and the idempotency keys of the API that fills it."""

from __future__ import annotations

from sqlalchemy import (
    Column,
    DateTime,
    Index,
    Integer,
    Table,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID

from beacon_shared.idempotency import idempotency_table
from ingest.db import metadata

interaction = Table(
    "interaction",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("tenant_id", Text, nullable=False),
    Column("brand_id", Text),
    Column("account_id", Text),
    Column("network", Text, nullable=False),
    Column("kind", Text, nullable=False),
    Column("external_id", Text, nullable=False),
    Column("parent_external_id", Text),
    Column("thread_external_id", Text),
    Column("author_id", Text, nullable=False),
    Column("author_handle", Text),
    Column("author_name", Text),
    Column("author_followers", Integer),
    Column("text", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("received_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    # The network's payload as received; NULL once past its retention (`retention.py`).
    Column("raw", JSONB),
    # Set when the author's data was erased on request: the row keeps its network and ids so
    # that the network's redelivery is not filed again, nothing about the author.
    Column("erased_at", DateTime(timezone=True)),
    UniqueConstraint("tenant_id", "network", "external_id"),
    # The list's order (newest first) and the conversation view's.
    Index("ix_interaction_tenant_id_received_at_id", "tenant_id", "received_at", "id"),
    # An author's interactions, for erasure requests.
    Index("ix_interaction_author", "tenant_id", "network", "author_id"),
    # The retention job's scan.
    Index(
        "ix_interaction_raw_received_at",
        "received_at",
        postgresql_where=text("raw IS NOT NULL"),
    ),
    Index(
        "ix_interaction_thread",
        "tenant_id",
        "network",
        "thread_external_id",
        "created_at",
        "id",
    ),
)

# The first answer given for each (tenant, Idempotency-Key), replayed to retries (keys.py).
idempotency_key = idempotency_table(metadata)
