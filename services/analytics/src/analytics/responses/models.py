"""The first response of each comment."""

from __future__ import annotations

from sqlalchemy import Column, DateTime, Float, Table, Text
from sqlalchemy.dialects.postgresql import UUID

from analytics.db import metadata

first_response = Table(
    "first_response",
    metadata,
    Column("tenant_id", Text, primary_key=True),
    Column("interaction_id", UUID(as_uuid=True), primary_key=True),
    Column("brand_id", Text, nullable=False),
    Column("network", Text, nullable=False),
    Column("commented_at", DateTime(timezone=True), nullable=False),
    Column("responded_at", DateTime(timezone=True), nullable=False),
    Column("seconds", Float, nullable=False),
)
