"""The network_action table: one row per requested action, its attempts and its outcome."""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    Index,
    Integer,
    Table,
    Text,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import UUID

from ingest.db import metadata


class ActionStatus(StrEnum):
    """pending until the executor stops trying; then one of the final outcomes."""

    pending = "pending"
    succeeded = "succeeded"
    failed = "failed"
    unsupported = "unsupported"


def _one_of(column: str, values: type[StrEnum]) -> str:
    return f"{column} IN ({', '.join(repr(v.value) for v in values)})"


network_action = Table(
    "network_action",
    metadata,
    # Moderation's action_id: a redelivered request finds its row and changes nothing.
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("tenant_id", Text, nullable=False),
    Column("brand_id", Text),
    Column("account_id", Text),
    Column("decision_id", UUID(as_uuid=True)),
    Column("interaction_id", UUID(as_uuid=True), nullable=False),
    Column("network", Text, nullable=False),
    Column("external_id", Text, nullable=False),
    Column("thread_external_id", Text),
    Column("action", Text, nullable=False),
    Column("reply_text", Text),
    Column("author_handle", Text),
    # The kind of the interaction acted on (`direct_message`: the reply is a private message),
    # from the request or, for moderation's, from the stored interaction; NULL when unknown.
    Column("kind", Text),
    # A private reply's recipient, when the person last wrote (the messaging window's start),
    # and whether the brand allows Meta's HUMAN_AGENT tag (7 days instead of 24 hours).
    Column("recipient_external_id", Text),
    Column("last_inbound_at", DateTime(timezone=True)),
    Column("human_agent", Boolean, nullable=False, server_default=text("false")),
    Column("requested_by", Text, nullable=False),
    Column("comment_created_at", DateTime(timezone=True), nullable=False),
    Column("requested_at", DateTime(timezone=True), nullable=False),
    # The request's envelope: the completion event names it as its cause and keeps its correlation.
    Column("request_event_id", UUID(as_uuid=True), nullable=False),
    Column("correlation_id", Text),
    Column("status", Text, nullable=False, server_default=text("'pending'")),
    # Network calls made so far, and why the last one did not settle it.
    Column("attempts", Integer, nullable=False, server_default=text("0")),
    Column("last_error", Text),
    # When a pending action is due; a claim moves it ahead by the hold, so no other replica
    # takes it meanwhile. Null once final.
    Column("next_attempt_at", DateTime(timezone=True)),
    # The claim holding the row: only its holder records the outcome.
    Column("lease", UUID(as_uuid=True)),
    # Set just before a network call and cleared when its outcome is recorded: still set at the
    # next claim means a call was cut off without an answer (a crash), so a reply's fate is unknown.
    Column("attempt_started_at", DateTime(timezone=True)),
    Column("first_attempt_at", DateTime(timezone=True)),
    # Since when an earlier call may have done it unseen: a reply is then resent only under an
    # idempotency key the network still remembers, and a delete that finds nothing succeeded.
    Column("uncertain_since", DateTime(timezone=True)),
    Column("reply_external_id", Text),
    Column("completed_at", DateTime(timezone=True)),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    CheckConstraint(_one_of("status", ActionStatus), name="status"),
    CheckConstraint("action IN ('hide', 'delete', 'reply')", name="action"),
    # What the executor scans: pending rows by due time, nothing else.
    Index(
        "ix_network_action_due",
        "next_attempt_at",
        postgresql_where=text("status = 'pending'"),
    ),
    Index("ix_network_action_tenant_id_interaction_id", "tenant_id", "interaction_id"),
)
