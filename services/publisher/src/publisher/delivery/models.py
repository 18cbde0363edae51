"""The post_target table: a post on one account, from its due time until the network has it."""

from __future__ import annotations

from sqlalchemy import (
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Table,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import UUID

from publisher.db import metadata
from publisher.delivery.status import TargetStatus

_STATUSES = ", ".join(repr(v.value) for v in TargetStatus)

post_target = Table(
    "post_target",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column(
        "post_id",
        UUID(as_uuid=True),
        ForeignKey("publisher.post.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("tenant_id", Text, nullable=False),
    Column("account_id", Text, nullable=False),
    Column("network", Text, nullable=False),
    Column("status", Text, nullable=False),
    Column("due_at", DateTime(timezone=True), nullable=False),
    Column("attempts", Integer, nullable=False, server_default=text("0")),
    Column("lease_until", DateTime(timezone=True)),
    Column("claimed_by", Text),
    Column("external_id", Text),
    Column("url", Text),
    Column("error", Text),
    # Why it failed, for machines: refused, credentials, exhausted, account, media.
    Column("failure_kind", Text),
    # Set on a target not yet out when its account stops (needs reconnecting, disconnected), so
    # it shows before its time comes; cleared when the account is connected again.
    Column("warning", Text),
    # credentials or account, as failure_kind would say.
    Column("warning_kind", Text),
    # When the outcome became unknown; reconciliation looks for the post from a little before.
    Column("unconfirmed_at", DateTime(timezone=True)),
    Column("first_comment_id", Text),
    Column("first_comment_error", Text),
    Column("published_at", DateTime(timezone=True)),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    CheckConstraint(f"status IN ({_STATUSES})", name="status"),
    UniqueConstraint("post_id", "account_id", "network"),
    # The scheduler's two scans: due targets, and claims whose lease ran out.
    Index(
        "ix_post_target_due_at_scheduled",
        "due_at",
        postgresql_where=text("status = 'scheduled'"),
    ),
    Index(
        "ix_post_target_lease_until_publishing",
        "lease_until",
        postgresql_where=text("status = 'publishing'"),
    ),
    Index(
        "ix_post_target_due_at_unconfirmed",
        "due_at",
        postgresql_where=text("status = 'unconfirmed'"),
    ),
    # Queues: which slot times an account's posts already take.
    Index("ix_post_target_account_id_due_at", "account_id", "due_at"),
)
