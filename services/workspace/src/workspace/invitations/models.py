"""The invitations table."""

from __future__ import annotations

from sqlalchemy import CheckConstraint, Column, DateTime, Index, Table, Text, func, text
from sqlalchemy.dialects.postgresql import JSONB, UUID

from beacon_shared.auth.roles import ROLES
from workspace.db import metadata

# An invitation to join an organization with a role. The token is stored hashed; it is used at
# most once (`accepted_at`), until `expires_at`, unless revoked.
invitation = Table(
    "invitation",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("tenant_id", Text, nullable=False),
    Column("email", Text, nullable=False),
    Column("role", Text, nullable=False),
    Column(
        "brand_roles",
        JSONB,
        nullable=False,
        server_default=text("'{}'::jsonb"),
        comment="The role on each brand the invitee will work on; {}: every brand.",
    ),
    Column("token_hash", Text, nullable=False, unique=True),
    Column("created_by", Text, nullable=False, comment="`user:<id>` or `key:<id>`"),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("revoked_at", DateTime(timezone=True)),
    Column("revoked_by", Text),
    Column("accepted_at", DateTime(timezone=True)),
    Column("accepted_by", UUID(as_uuid=True), comment="The iam user who joined with it."),
    Index("ix_invitation_tenant_id_created_at", "tenant_id", "created_at", "id"),
    CheckConstraint(f"role IN ({', '.join(map(repr, ROLES))})", name="role_known"),
)
