"""The account and account_slot tables."""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import (
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
    UniqueConstraint,
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
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    CheckConstraint(_one_of("status", AccountStatus), name="status"),
    UniqueConstraint("tenant_id", "network", "external_account_id"),
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
