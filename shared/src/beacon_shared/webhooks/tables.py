"""The webhook_endpoint, webhook_delivery and webhook_attempt tables, made in a service's schema.

Each service that sends webhooks keeps its own three tables (in its own schema, created by its own
migration); this factory makes their columns the same everywhere, so the one repository, dispatcher
and endpoints API here work on any of them.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    Table,
    Text,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID

from beacon_shared.webhooks.delivery import EXCERPT_BYTES
from beacon_shared.webhooks.schedule import Outcome


class DeliveryStatus(StrEnum):
    """Where one message to one endpoint stands."""

    pending = "pending"
    delivering = "delivering"
    delivered = "delivered"
    failed = "failed"


def _one_of(column: str, values: type[StrEnum]) -> str:
    return f"{column} IN ({', '.join(repr(v.value) for v in values)})"


@dataclass(frozen=True)
class WebhookTables:
    """A service's endpoints, the deliveries queued for them, and each delivery's attempts."""

    endpoint: Table
    delivery: Table
    attempt: Table


def webhook_tables(metadata: MetaData) -> WebhookTables:
    """The three tables in `metadata`'s schema."""
    webhook_endpoint = Table(
        "webhook_endpoint",
        metadata,
        Column("id", UUID(as_uuid=True), primary_key=True),
        Column("tenant_id", Text, nullable=False),
        Column("url", Text, nullable=False),
        Column("description", Text),
        # Empty means every event type, and every brand; the names are checked by the API, not here,
        # so a new event type needs no migration.
        Column("event_types", ARRAY(Text), nullable=False, server_default=text("'{}'")),
        Column("brand_ids", ARRAY(Text), nullable=False, server_default=text("'{}'")),
        # The signing secrets (the current one, and the previous one during a rotation), sealed.
        Column("secret_encrypted", LargeBinary, nullable=False),
        Column("enabled", Boolean, nullable=False, server_default=text("true")),
        Column("disabled_reason", Text),
        Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        # The endpoint list's order, and notify()'s lookup of a tenant's endpoints.
        Index("ix_webhook_endpoint_tenant_id_created_at_id", "tenant_id", "created_at", "id"),
    )

    webhook_delivery = Table(
        "webhook_delivery",
        metadata,
        # Sent as `webhook-id`: the same on every attempt, so receivers can deduplicate.
        Column("id", UUID(as_uuid=True), primary_key=True),
        Column(
            "endpoint_id",
            UUID(as_uuid=True),
            ForeignKey(webhook_endpoint.c.id, ondelete="CASCADE"),
            nullable=False,
        ),
        Column("tenant_id", Text, nullable=False),
        Column("event_type", Text, nullable=False),
        # The whole signed body ({"type", "timestamp", "data"}), so every attempt sends the same.
        Column("payload", JSONB, nullable=False),
        Column("status", Text, nullable=False),
        Column("attempts", Integer, nullable=False, server_default=text("0")),
        Column("next_attempt_at", DateTime(timezone=True)),
        Column("lease_until", DateTime(timezone=True)),
        Column("last_status_code", Integer),
        Column("last_error", Text),
        Column("last_attempt_at", DateTime(timezone=True)),
        Column("delivered_at", DateTime(timezone=True)),
        Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        CheckConstraint(_one_of("status", DeliveryStatus), name="status"),
        # An endpoint's delivery log, newest first.
        Index(
            "ix_webhook_delivery_endpoint_id_created_at_id",
            "endpoint_id",
            "created_at",
            "id",
        ),
        # The dispatcher's two scans: due messages, and claims whose lease ran out.
        Index(
            "ix_webhook_delivery_next_attempt_at_pending",
            "next_attempt_at",
            postgresql_where=text("status = 'pending'"),
        ),
        Index(
            "ix_webhook_delivery_lease_until_delivering",
            "lease_until",
            postgresql_where=text("status = 'delivering'"),
        ),
    )

    webhook_attempt = Table(
        "webhook_attempt",
        metadata,
        Column(
            "delivery_id",
            UUID(as_uuid=True),
            ForeignKey(webhook_delivery.c.id, ondelete="CASCADE"),
            primary_key=True,
        ),
        Column("attempt", Integer, primary_key=True),
        Column("at", DateTime(timezone=True), nullable=False),
        Column("outcome", Text, nullable=False),
        Column("status_code", Integer),
        Column("error", Text),
        Column("duration_ms", Integer, nullable=False),
        Column("response_excerpt", Text, nullable=False, server_default=text("''")),
        CheckConstraint(_one_of("outcome", Outcome), name="outcome"),
        CheckConstraint(
            f"octet_length(response_excerpt) <= {EXCERPT_BYTES}", name="response_excerpt_size"
        ),
    )
    return WebhookTables(webhook_endpoint, webhook_delivery, webhook_attempt)
