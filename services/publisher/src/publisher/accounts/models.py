"""The account and account_slot tables."""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    SmallInteger,
    Table,
    Text,
    Time,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import UUID

from publisher.db import metadata


class AccountStatus(StrEnum):
    """Whether posts may go out as the account."""

    active = "active"
    paused = "paused"
    # The network refused its token: its posts stop with a reason until it is reconnected.
    needs_reauth = "needs_reauth"
    # Disconnected in the workspace: its credentials are gone, its posts stop with a reason.
    disconnected = "disconnected"


class AccountSource(StrEnum):
    """Where an account was connected."""

    # The workspace's registry of connected accounts: this row is its replica, kept from the
    # workspace's account events (the id is the workspace's account id).
    workspace = "workspace"
    # The publisher's own POST /v1/publishing-accounts, from before the registry.
    publisher = "publisher"


def _one_of(column: str, values: type[StrEnum]) -> str:
    return f"{column} IN ({', '.join(repr(v.value) for v in values)})"


account = Table(
    "account",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("tenant_id", Text, nullable=False),
    Column("brand_id", Text),
    Column("network", Text, nullable=False),
    Column("external_account_id", Text, nullable=False),
    Column("handle", Text),
    Column("display_name", Text),
    # Mastodon instance or Bluesky PDS; null for networks with one API host.
    Column("instance_url", Text),
    # A Mastodon instance's `configuration.statuses.max_characters`, when it is not 500.
    Column("max_characters", Integer),
    Column("status", Text, nullable=False, server_default=text("'active'")),
    Column("status_reason", Text),
    # A SecretBox token of the credentials' JSON; the plaintext is never stored.
    Column("credentials_encrypted", LargeBinary),
    Column("source", Text, nullable=False, server_default=text("'publisher'")),
    # The workspace's version of the account this row holds: an event with a lower one is stale.
    Column("workspace_version", BigInteger),
    # When the publisher's own account was handed over to the registry (account.handed_over):
    # the registry's account.connected then makes it a replica under the same id.
    Column("handed_over_at", DateTime(timezone=True)),
    # The workspace version whose token a network refused, and when the registry was asked to
    # refresh it: its targets wait for the new token (once an hour at most, then needs_reauth).
    Column("refresh_requested_version", BigInteger),
    Column("refresh_requested_at", DateTime(timezone=True)),
    # When the registry says the access token held expires (null: it does not say).
    Column("access_expires_at", DateTime(timezone=True)),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    CheckConstraint(_one_of("status", AccountStatus), name="status"),
    CheckConstraint(_one_of("source", AccountSource), name="source"),
    # The publisher's own accounts, once each per tenant; the workspace connects one network
    # account to several brands, each its own row.
    Index(
        "uq_account_tenant_id_network_external_account_id",
        "tenant_id",
        "network",
        "external_account_id",
        unique=True,
        postgresql_where=text("source = 'publisher'"),
    ),
    Index("ix_account_tenant_id_created_at_id", "tenant_id", "created_at", "id"),
)

# The account's queue: weekly posting times, in its brand's time zone.
account_slot = Table(
    "account_slot",
    metadata,
    Column(
        "account_id",
        UUID(as_uuid=True),
        ForeignKey(account.c.id, ondelete="CASCADE"),
        primary_key=True,
    ),
    # ISO weekday: 1 is Monday.
    Column("weekday", SmallInteger, primary_key=True),
    Column("local_time", Time, primary_key=True),
    CheckConstraint("weekday BETWEEN 1 AND 7", name="weekday"),
)
