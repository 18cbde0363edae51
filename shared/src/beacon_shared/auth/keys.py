"""Issuing and revoking API keys."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID, uuid4

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from beacon_shared.auth.tables import api_key, tenant
from beacon_shared.errors import InvalidInput, NotFound

KEY_PREFIX = "bk_"
# The scopes a key may carry; "*" grants all of them.
SCOPES = frozenset(
    {
        "*",
        "accounts:read",
        "accounts:write",
        "interactions:read",
        "interactions:write",
        "moderation:read",
        "moderation:write",
        "posts:read",
        "posts:write",
        "analytics:read",
        "analytics:write",
        "webhooks:read",
        "webhooks:write",
    }
)


def generate_key() -> str:
    """A new key: 256 random bits, recognisable by its prefix."""
    return KEY_PREFIX + secrets.token_urlsafe(32)


def hash_key(key: str) -> str:
    """SHA-256 of the key: enough for 256-bit random secrets, and cheap on every request."""
    return hashlib.sha256(key.encode()).hexdigest()


@dataclass(frozen=True)
class IssuedKey:
    """A key as issued: the plaintext is shown once and never stored."""

    id: UUID
    tenant_id: str
    name: str
    scopes: tuple[str, ...]
    key: str
    # None: the platform default (ServiceSettings.api_rate_limit_per_minute) applies.
    rate_limit_per_minute: int | None = None


async def ensure_tenant(session: AsyncSession, *, tenant_id: str, name: str | None = None) -> None:
    """Create the tenant if it does not exist yet."""
    await session.execute(
        insert(tenant).values(id=tenant_id, name=name or tenant_id).on_conflict_do_nothing()
    )


async def issue_key(
    session: AsyncSession,
    *,
    tenant_id: str,
    name: str,
    scopes: Iterable[str],
    expires_at: datetime | None = None,
    rate_limit_per_minute: int | None = None,
) -> IssuedKey:
    """Store a new key's hash for `tenant_id` (created if new) and return the plaintext once.

    `rate_limit_per_minute` caps the key's requests per API process; None means the platform
    default.
    """
    wanted = tuple(sorted(set(scopes)))
    unknown = [s for s in wanted if s not in SCOPES]
    if unknown or not wanted:
        raise InvalidInput(f"unknown or missing scopes: {unknown or 'none given'}")
    if rate_limit_per_minute is not None and rate_limit_per_minute < 1:
        raise InvalidInput(
            "rate_limit_per_minute must be at least 1 (leave it unset for the platform default)"
        )
    await ensure_tenant(session, tenant_id=tenant_id)
    key = generate_key()
    key_id = uuid4()
    await session.execute(
        insert(api_key).values(
            id=key_id,
            tenant_id=tenant_id,
            name=name,
            prefix=key[:10],
            key_hash=hash_key(key),
            scopes=list(wanted),
            expires_at=expires_at,
            rate_limit_per_minute=rate_limit_per_minute,
        )
    )
    return IssuedKey(
        id=key_id,
        tenant_id=tenant_id,
        name=name,
        scopes=wanted,
        key=key,
        rate_limit_per_minute=rate_limit_per_minute,
    )


async def revoke_key(session: AsyncSession, *, tenant_id: str, key_id: UUID) -> None:
    """Revoke one of the tenant's keys; it stops working within the verifier's cache period."""
    result = await session.execute(
        update(api_key)
        .where(api_key.c.id == key_id, api_key.c.tenant_id == tenant_id)
        .values(revoked_at=datetime.now(UTC))
        .returning(api_key.c.id)
    )
    if result.scalar() is None:
        raise NotFound(f"no API key {key_id} for this tenant")


async def list_keys(session: AsyncSession, *, tenant_id: str) -> list[dict[str, object]]:
    """The tenant's keys, without secrets."""
    rows = await session.execute(
        select(
            api_key.c.id,
            api_key.c.name,
            api_key.c.prefix,
            api_key.c.scopes,
            api_key.c.rate_limit_per_minute,
            api_key.c.created_at,
            api_key.c.expires_at,
            api_key.c.revoked_at,
        )
        .where(api_key.c.tenant_id == tenant_id)
        .order_by(api_key.c.created_at)
    )
    return [dict(row._mapping) for row in rows]
