"""Contacts, the network identities each gathers, and their private notes."""

from __future__ import annotations

from sqlalchemy import (
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, UUID

from inbox.db import metadata

# One per author per brand. Merged by hand, a contact stays as a pointer to the one it joined
# (`merged_into`), so a frontend holding its id learns where it went.
contact = Table(
    "contact",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("tenant_id", Text, nullable=False),
    Column("brand_id", Text),
    # As the author's latest message named them.
    Column("handle", Text),
    Column("display_name", Text),
    Column("labels", ARRAY(Text), nullable=False, server_default=text("'{}'")),
    Column("message_count", Integer, nullable=False, server_default=text("0")),
    Column("first_contact_at", DateTime(timezone=True), nullable=False),
    Column("last_contact_at", DateTime(timezone=True), nullable=False),
    Column("merged_into", UUID(as_uuid=True)),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Index(
        "ix_contact_recent",
        "tenant_id",
        "brand_id",
        "last_contact_at",
        "id",
        postgresql_where=text("merged_into IS NULL"),
    ),
    Index("ix_contact_labels", "labels", postgresql_using="gin"),
)

# An author as one network knows them; a contact gathers one per network, or more once merged.
contact_identity = Table(
    "contact_identity",
    metadata,
    Column("tenant_id", Text, nullable=False),
    Column("brand_id", Text),
    Column("network", Text, nullable=False),
    Column("network_id", Text, nullable=False),
    Column(
        "contact_id",
        UUID(as_uuid=True),
        ForeignKey("contact.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("handle", Text),
    Column("display_name", Text),
    Column("first_seen_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint(
        "tenant_id",
        "brand_id",
        "network",
        "network_id",
        name="uq_contact_identity",
        postgresql_nulls_not_distinct=True,
    ),
    Index("ix_contact_identity_contact", "contact_id"),
)

contact_note = Table(
    "contact_note",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("tenant_id", Text, nullable=False),
    Column(
        "contact_id",
        UUID(as_uuid=True),
        ForeignKey("contact.id", ondelete="CASCADE"),
        nullable=False,
    ),
    # `user:<id>` or `key:<id>`.
    Column("author", Text, nullable=False),
    Column("text", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Index("ix_contact_note_contact", "contact_id", "created_at", "id"),
)
