"""The connected accounts' tables: the registry, the pending OAuth states, Beacon's app
registered at each Mastodon instance, and the tokens to revoke after a disconnection."""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    Index,
    Integer,
    LargeBinary,
    PrimaryKeyConstraint,
    Table,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, UUID

from beacon_shared.contracts.workspace import AccountKind
from workspace.db import metadata

NETWORKS = ("facebook", "instagram", "x", "linkedin", "mastodon", "bluesky")
STATUSES = ("active", "needs_reauth", "disconnected")


def _one_of(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(map(repr, values))})"


# One row per (organization, brand, network, the network's account id). `credentials` is the
# Fernet token of their JSON under WORKSPACE_CREDENTIALS_KEYS, null once disconnected; `version`
# grows with every change, so consumers of the events keep the newest. `refresh_claimed_until` is
# the refresher's lease for X and LinkedIn accounts, and for Meta's the time until which the token
# check leaves them alone (its lease, then the next check).
connected_account = Table(
    "connected_account",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("tenant_id", Text, nullable=False),
    Column("brand_id", Text, nullable=False),
    Column("network", Text, nullable=False),
    Column("kind", Text, nullable=False),
    Column("external_id", Text, nullable=False),
    Column("handle", Text),
    Column("display_name", Text),
    Column("instance_url", Text, comment="The Mastodon instance or Bluesky PDS."),
    Column("status", Text, nullable=False, server_default=text("'active'")),
    Column("status_reason", Text),
    Column("scopes", ARRAY(Text), nullable=False, server_default=text("'{}'")),
    Column("access_expires_at", DateTime(timezone=True)),
    Column("refresh_expires_at", DateTime(timezone=True)),
    Column("credentials", LargeBinary),
    Column("connected_by", Text, nullable=False, comment="`user:<id>` or `key:<id>`"),
    Column("connected_at", DateTime(timezone=True), nullable=False),
    Column("disconnected_at", DateTime(timezone=True)),
    Column("disconnected_by", Text),
    Column("version", Integer, nullable=False, server_default=text("1")),
    Column("refresh_claimed_until", DateTime(timezone=True)),
    Column("refresh_failures", Integer, nullable=False, server_default=text("0")),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    UniqueConstraint("tenant_id", "brand_id", "network", "external_id"),
    Index("ix_connected_account_tenant_id_created_at", "tenant_id", "created_at", "id"),
    Index(
        "ix_connected_account_refresh_due",
        "access_expires_at",
        postgresql_where=text("status = 'active' AND access_expires_at IS NOT NULL"),
    ),
    CheckConstraint(_one_of("network", NETWORKS), name="network_known"),
    CheckConstraint(_one_of("kind", tuple(k.value for k in AccountKind)), name="kind_known"),
    CheckConstraint(_one_of("status", STATUSES), name="status_known"),
)

# A connect flow in progress: its `state` is the only credential the browser brings back, so it
# is stored hashed, used once (`used_at`) and only until `expires_at`. `secrets` seals the PKCE
# verifier.
oauth_state = Table(
    "oauth_state",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("tenant_id", Text, nullable=False),
    Column("brand_id", Text, nullable=False),
    Column("network", Text, nullable=False),
    Column("actor", Text, nullable=False, comment="`user:<id>` or `key:<id>`"),
    Column("user_id", UUID(as_uuid=True)),
    Column("state_hash", Text, nullable=False, unique=True),
    Column("secrets", LargeBinary),
    Column("instance_url", Text),
    Column("return_url", Text, nullable=False),
    Column("redirect_uri", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("used_at", DateTime(timezone=True)),
    Column("outcome", Text),
    Index("ix_oauth_state_expires_at", "expires_at"),
)

# Beacon's app at each Mastodon instance (POST /api/v1/apps), registered once per redirect URI
# and kept: instances limit registrations.
mastodon_app = Table(
    "mastodon_app",
    metadata,
    Column("instance_url", Text, nullable=False),
    Column("redirect_uri", Text, nullable=False),
    Column("client_id", Text, nullable=False),
    Column("client_secret", LargeBinary, nullable=False),
    Column("pkce", Boolean, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    PrimaryKeyConstraint("instance_url", "redirect_uri"),
)

# A disconnected account's tokens, still to be revoked at the network: copied, sealed as they
# were, in the disconnection's transaction, and deleted once revoked or given up.
revocation = Table(
    "revocation",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("tenant_id", Text, nullable=False),
    Column("brand_id", Text, nullable=False),
    Column("account_id", UUID(as_uuid=True), nullable=False),
    Column("network", Text, nullable=False),
    Column("kind", Text, nullable=False),
    Column("instance_url", Text),
    Column("credentials", LargeBinary, nullable=False),
    Column("attempts", Integer, nullable=False, server_default=text("0")),
    Column("due_at", DateTime(timezone=True), nullable=False, comment="The next attempt."),
    Column("last_error", Text),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Index("ix_revocation_due_at", "due_at"),
)
