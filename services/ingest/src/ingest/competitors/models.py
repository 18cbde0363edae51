"""The tracked_account table: a competitor's public network account, tracked for one brand."""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import (
    CheckConstraint,
    Column,
    DateTime,
    Index,
    Table,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import UUID

from ingest.db import metadata


class TrackingStatus(StrEnum):
    """Whether the account's public posts are read."""

    active = "active"
    paused = "paused"


tracked_account = Table(
    "tracked_account",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("tenant_id", Text, nullable=False),
    Column("brand_id", Text, nullable=False),
    Column("network", Text, nullable=False),
    # A Mastodon account id (on its instance) or a Bluesky DID.
    Column("external_account_id", Text, nullable=False),
    Column("handle", Text),
    Column("label", Text),
    # Mastodon: the instance whose public API serves the account; Bluesky reads a public AppView.
    Column("instance_url", Text),
    Column("status", Text, nullable=False, server_default=text("'active'")),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    CheckConstraint("status IN ('active', 'paused')", name="status"),
    # Two brands of a tenant may track the same competitor; one brand tracks it once.
    UniqueConstraint(
        "tenant_id",
        "brand_id",
        "network",
        "external_account_id",
        # The generated name would pass the 63 characters Postgres keeps.
        name="uq_tracked_account_brand_network_account",
    ),
    Index("ix_tracked_account_tenant_id_created_at_id", "tenant_id", "created_at", "id"),
)
