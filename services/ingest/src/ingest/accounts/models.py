"""The connected_account table."""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    DateTime,
    Index,
    Integer,
    LargeBinary,
    Table,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import UUID

from ingest.accounts.schemas import AccountStatus
from ingest.db import metadata


def _one_of(column: str, values: type[StrEnum]) -> str:
    return f"{column} IN ({', '.join(repr(v.value) for v in values)})"


connected_account = Table(
    "connected_account",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("tenant_id", Text, nullable=False),
    Column("brand_id", Text),
    # Not checked against Network here: the API validates it, and a network added to the
    # contracts should not need a migration first.
    Column("network", Text, nullable=False),
    # The network's own id: a Page id, an Instagram user id, an X user id, a Mastodon account
    # id, a Bluesky DID.
    Column("external_account_id", Text, nullable=False),
    Column("handle", Text),
    Column("display_name", Text),
    Column("status", Text, nullable=False, server_default=text("'active'")),
    # A Fernet token of the credentials' JSON; the plaintext is never stored.
    Column("credentials_encrypted", LargeBinary),
    # Where a poller resumes (Mastodon, Bluesky); when the account may be polled next (shared by
    # every worker replica: a poll holds it, a rate limit or a failure rests it); failures in a row.
    Column("poll_cursor", Text),
    Column("poll_next_at", DateTime(timezone=True)),
    Column("poll_failures", Integer, nullable=False, server_default=text("0")),
    # The version of the workspace registry's account this row replicates (its id is the
    # registry's): an event with a version no higher is stale. Null for an account connected
    # through ingest's own API.
    Column("workspace_version", BigInteger),
    # When ingest's own account was handed over to the registry (account.handed_over): the
    # registry's account.connected then makes it a replica under the same id.
    Column("handed_over_at", DateTime(timezone=True)),
    # The workspace version whose token a network refused, and when the registry was asked to
    # refresh it (beacon_shared.refresh_requests).
    Column("refresh_requested_version", BigInteger),
    Column("refresh_requested_at", DateTime(timezone=True)),
    # When the registry says the access token held expires (null: it does not say).
    Column("access_expires_at", DateTime(timezone=True)),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    CheckConstraint(_one_of("status", AccountStatus), name="status"),
    # A network account belongs to one tenant: webhooks name the account, not the tenant.
    UniqueConstraint("network", "external_account_id"),
    UniqueConstraint("tenant_id", "id"),
    Index("ix_connected_account_tenant_id_created_at_id", "tenant_id", "created_at", "id"),
)
