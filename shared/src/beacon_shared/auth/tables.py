"""The `iam` schema: tenants (organizations), their API keys, and the people who sign in."""

from __future__ import annotations

from sqlalchemy import (
    ARRAY,
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    PrimaryKeyConstraint,
    Table,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID

from beacon_shared.auth.roles import BRAND_ROLES, ROLES
from beacon_shared.db import make_metadata

IAM_SCHEMA = "iam"
metadata = make_metadata(IAM_SCHEMA)

tenant = Table(
    "tenant",
    metadata,
    Column("id", Text, primary_key=True),
    Column("name", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

# Someone the deployment's OpenID Connect issuer vouches for, known by (issuer, subject).
user = Table(
    "user",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("issuer", Text, nullable=False),
    Column("subject", Text, nullable=False),
    Column("email", Text),
    Column("name", Text),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    UniqueConstraint("issuer", "subject"),
)

api_key = Table(
    "api_key",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("tenant_id", Text, ForeignKey(tenant.c.id), nullable=False),
    Column("name", Text, nullable=False),
    Column("prefix", Text, nullable=False, comment="First characters, to recognise a key."),
    Column("key_hash", Text, nullable=False, unique=True),
    Column("scopes", ARRAY(Text), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("expires_at", DateTime(timezone=True)),
    Column("revoked_at", DateTime(timezone=True)),
    Column(
        "rate_limit_per_minute",
        Integer,
        comment="Requests a minute per API process; NULL means the platform default.",
    ),
    # A personal token acts as this user, its scopes cut down to their current role on every
    # request; NULL for the organization's own keys.
    Column("user_id", UUID(as_uuid=True), ForeignKey(user.c.id, ondelete="CASCADE")),
    # The brands the key may act on; NULL for every brand of the organization.
    Column("brand_ids", ARRAY(Text)),
    Index("ix_api_key_tenant_id", "tenant_id"),
    Index("ix_api_key_user_id", "user_id", postgresql_where=text("user_id IS NOT NULL")),
    CheckConstraint("rate_limit_per_minute > 0", name="rate_limit_per_minute_positive"),
)

# A user's place in an organization (a tenant): the role sets the scopes.
membership = Table(
    "membership",
    metadata,
    Column("tenant_id", Text, ForeignKey(tenant.c.id, ondelete="CASCADE"), nullable=False),
    Column(
        "user_id", UUID(as_uuid=True), ForeignKey(user.c.id, ondelete="CASCADE"), nullable=False
    ),
    Column("role", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    PrimaryKeyConstraint("tenant_id", "user_id"),
    Index("ix_membership_user_id", "user_id"),
    CheckConstraint(f"role IN ({', '.join(map(repr, ROLES))})", name="role_known"),
)

# The organization's brands: the unit of access every service checks a request against. Only the
# ids live here; names, time zones and rules are the workspace service's, announced by events.
brand = Table(
    "brand",
    metadata,
    Column("tenant_id", Text, ForeignKey(tenant.c.id, ondelete="CASCADE"), primary_key=True),
    Column("id", Text, primary_key=True),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("deleted_at", DateTime(timezone=True)),
)

# A member's role on one brand. A member with any such row works on those brands only, each with
# its role; owners and admins always have every brand.
brand_role = Table(
    "brand_role",
    metadata,
    Column("tenant_id", Text, nullable=False),
    Column("user_id", UUID(as_uuid=True), nullable=False),
    Column("brand_id", Text, nullable=False),
    Column("role", Text, nullable=False),
    PrimaryKeyConstraint("tenant_id", "user_id", "brand_id"),
    ForeignKeyConstraint(
        ["tenant_id", "user_id"],
        [membership.c.tenant_id, membership.c.user_id],
        ondelete="CASCADE",
    ),
    ForeignKeyConstraint(
        ["tenant_id", "brand_id"], [brand.c.tenant_id, brand.c.id], ondelete="CASCADE"
    ),
    CheckConstraint(f"role IN ({', '.join(map(repr, BRAND_ROLES))})", name="role_known"),
)

# Every state-changing API call a principal made, in every service (beacon_shared.audit).
audit_log = Table(
    "audit_log",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("tenant_id", Text, nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("actor", Text, nullable=False, comment="`user:<id>` or `key:<id>`"),
    Column("credential", Text, nullable=False, comment="sign_in, personal_token or api_key"),
    Column("service", Text, nullable=False),
    Column("method", Text, nullable=False),
    Column("route", Text, nullable=False, comment="The route's template, e.g. /v1/posts/{post_id}"),
    Column("resource", JSONB, nullable=False, comment="The route's path parameters."),
    Column("status", Integer, nullable=False),
    Column("client_address", Text),
    Column("user_agent", Text),
    Column("request_id", Text),
    Index("ix_audit_log_tenant_id_at", "tenant_id", text("at DESC"), text("id DESC")),
)

ACTIVE = text("revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now())")
