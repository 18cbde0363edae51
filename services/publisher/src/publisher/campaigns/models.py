"""The campaign table."""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import (
    CheckConstraint,
    Column,
    DateTime,
    Index,
    Numeric,
    Table,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.dialects.postgresql import UUID

from publisher.db import metadata


class CampaignKind(StrEnum):
    """What a campaign is about, for grouping in reports."""

    event = "event"
    promotion = "promotion"
    launch = "launch"
    other = "other"


campaign = Table(
    "campaign",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("tenant_id", Text, nullable=False),
    Column("brand_id", Text),
    Column("name", Text, nullable=False),
    Column("kind", Text, nullable=False),
    Column("description", Text),
    Column("starts_at", DateTime(timezone=True)),
    Column("ends_at", DateTime(timezone=True)),
    # Analytics attribute clicks by these; utm_source is the target's network, set per link.
    Column("utm_campaign", Text, nullable=False),
    Column("utm_medium", Text, nullable=False),
    # What the campaign cost, for return-on-investment reports.
    Column("cost_amount", Numeric(14, 2)),
    Column("currency", Text),
    Column("archived_at", DateTime(timezone=True)),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    CheckConstraint(
        f"kind IN ({', '.join(repr(k.value) for k in CampaignKind)})",
        name="kind",
    ),
    CheckConstraint("ends_at > starts_at", name="ends_after_starts"),
    CheckConstraint("cost_amount >= 0", name="cost_not_negative"),
    CheckConstraint("currency ~ '^[A-Z]{3}$'", name="currency_code"),
    # An amount means nothing without its currency.
    CheckConstraint("cost_amount IS NULL OR currency IS NOT NULL", name="cost_has_currency"),
    # Two campaigns sharing a utm_campaign would merge in every analytics report.
    UniqueConstraint("tenant_id", "utm_campaign"),
    Index("ix_campaign_tenant_id_created_at_id", "tenant_id", "created_at", "id"),
)
