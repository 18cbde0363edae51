"""The ROI tables: campaigns as the publisher last described them, publications, conversions
and their daily rollup."""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    Index,
    Numeric,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import UUID

from analytics.db import metadata
from beacon_shared.idempotency import KeyTable, idempotency_table


class ConversionKind(StrEnum):
    """A click on a tagged link, or a conversion (a sale, a sign-up) that followed one."""

    click = "click"
    conversion = "conversion"


class Unattributed(StrEnum):
    """Why a conversion has no campaign."""

    # No utm_campaign: nothing will ever attribute it.
    no_utm_campaign = "no_utm_campaign"
    # No campaign of the tenant has (or had) its utm_campaign yet; attributed once one appears.
    unknown_campaign = "unknown_campaign"


# The latest version of each campaign, from `campaign.changed` (newest `changed_at` wins).
campaign = Table(
    "campaign",
    metadata,
    Column("tenant_id", Text, primary_key=True),
    Column("campaign_id", UUID(as_uuid=True), primary_key=True),
    Column("brand_id", Text),
    Column("name", Text, nullable=False),
    Column("kind", Text, nullable=False),
    Column("utm_campaign", Text, nullable=False),
    Column("utm_medium", Text, nullable=False),
    Column("starts_at", DateTime(timezone=True)),
    Column("ends_at", DateTime(timezone=True)),
    Column("cost_amount", Numeric(14, 2)),
    Column("currency", Text),
    Column("archived", Boolean, nullable=False),
    # The earliest change seen (the creation, once its event arrives): the list's stable order.
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("changed_at", DateTime(timezone=True), nullable=False),
    Index("ix_campaign_tenant_id_created_at_campaign_id", "tenant_id", "created_at", "campaign_id"),
)

# Every utm_campaign a campaign ever had: links already out keep the value they were tagged with.
utm_claim = Table(
    "utm_claim",
    metadata,
    Column("tenant_id", Text, primary_key=True),
    Column("utm_campaign", Text, primary_key=True),
    Column("campaign_id", UUID(as_uuid=True), primary_key=True),
    # The latest change at which the campaign had this value: the most recent claim wins.
    Column("claimed_at", DateTime(timezone=True), nullable=False),
)

# One row per post target published in a campaign: a campaign's cost is shared out by these.
campaign_publication = Table(
    "campaign_publication",
    metadata,
    Column("tenant_id", Text, primary_key=True),
    Column("target_id", UUID(as_uuid=True), primary_key=True),
    Column("campaign_id", UUID(as_uuid=True), nullable=False),
    Column("post_id", UUID(as_uuid=True), nullable=False),
    Column("network", Text, nullable=False),
    Column("published_at", DateTime(timezone=True), nullable=False),
    Index("ix_campaign_publication_tenant_id_campaign_id", "tenant_id", "campaign_id"),
)

# Every click and conversion as received, kept for audit and late attribution.
conversion = Table(
    "conversion",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("tenant_id", Text, nullable=False),
    # The client's own id: a conversion sent again with it is a replay.
    Column("conversion_id", Text),
    # A digest of the conversion, to tell a replay from the reuse of its id for another one.
    Column("request_hash", Text, nullable=False),
    Column("kind", Text, nullable=False),
    Column("occurred_at", DateTime(timezone=True), nullable=False),
    Column("value", Numeric(18, 4)),
    Column("currency", Text),
    Column("utm_source", Text),
    Column("utm_medium", Text),
    Column("utm_campaign", Text),
    Column("utm_content", Text),
    # What attribution found: the network and post (from the body or the UTM values) and the
    # campaign, or why there is none.
    Column("network", Text),
    Column("post_id", UUID(as_uuid=True)),
    Column("campaign_id", UUID(as_uuid=True)),
    Column("unattributed_reason", Text),
    Column("received_at", DateTime(timezone=True), nullable=False),
    Column("attributed_at", DateTime(timezone=True)),
    CheckConstraint(f"kind IN ({', '.join(repr(k.value) for k in ConversionKind)})", name="kind"),
    CheckConstraint("(value IS NULL) = (currency IS NULL)", name="value_has_currency"),
    CheckConstraint("kind = 'conversion' OR value IS NULL", name="clicks_have_no_value"),
    CheckConstraint("value >= 0", name="value_not_negative"),
    CheckConstraint(
        "(campaign_id IS NULL) = (unattributed_reason IS NOT NULL)", name="attributed_or_reason"
    ),
    UniqueConstraint("tenant_id", "conversion_id"),
    # Late attribution looks up the unattributed conversions of a utm_campaign.
    Index(
        "ix_conversion_unattributed",
        "tenant_id",
        "utm_campaign",
        postgresql_where=text("campaign_id IS NULL"),
    ),
)

# The conversions each (tenant, Idempotency-Key) recorded, kept as long as they are.
idempotency_key = idempotency_table(metadata)
conversion_keys = KeyTable(idempotency_key)

# Attributed conversions per campaign, network, post, UTC day and currency: reports read this.
conversion_day = Table(
    "conversion_day",
    metadata,
    Column("tenant_id", Text, primary_key=True),
    Column("campaign_id", UUID(as_uuid=True), primary_key=True),
    Column("day", Date, primary_key=True),
    # '' for an unknown network, no post or no value, so they still share one primary-key row.
    Column("network", Text, primary_key=True),
    Column("post_id", Text, primary_key=True),
    Column("currency", Text, primary_key=True),
    Column("clicks", BigInteger, nullable=False),
    Column("conversions", BigInteger, nullable=False),
    Column("value", Numeric(20, 4), nullable=False),
    # The networks report reads every campaign of a tenant over a range of days.
    Index("ix_conversion_day_tenant_id_day", "tenant_id", "day"),
)
