"""Saved replies."""

from __future__ import annotations

from sqlalchemy import Column, DateTime, Table, Text, UniqueConstraint
from sqlalchemy.dialects.postgresql import UUID

from moderation.db import metadata

saved_reply = Table(
    "saved_reply",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("tenant_id", Text, nullable=False),
    Column("brand_id", Text),
    Column("name", Text, nullable=False),
    # Text with {author_name}, {author_handle} or {network}, filled in when it is sent.
    Column("body", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("tenant_id", "brand_id", "name"),
)
