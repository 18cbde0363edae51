"""Issuing and revoking API keys."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID, uuid4

from sqlalchemy import ColumnElement, func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from beacon_shared.auth.brands import UnknownBrand, missing_brands
from beacon_shared.auth.tables import api_key
from beacon_shared.auth.tenants import ensure_tenant
from beacon_shared.errors import InvalidInput, NotFound


class ApiKeyNotFound(NotFound):
    code, title = "api_key_not_found", "API key not found"


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
        "posts:approve",
        "analytics:read",
        "analytics:write",
        "webhooks:read",
        "webhooks:write",
        # The organization's members and invitations, and its API keys (the workspace service).
        "people:read",
        "people:write",
        "keys:read",
        "keys:write",
        # The organization's brands and their settings (the workspace service).
        "brands:read",
        "brands:write",
        # The audit log of every state-changing call (the workspace service).
        "audit:read",
        # Erasing an author's data in every service, and the receipts (the workspace service).
        "privacy:read",
        "privacy:write",
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
    expires_at: datetime | None = None
    # Set for a personal token: it acts as this user, within their current role.
    user_id: UUID | None = None
    prefix: str = ""
    created_at: datetime | None = None
    # The brands it may act on; None for every brand.
    brand_ids: tuple[str, ...] | None = None


async def issue_key(
    session: AsyncSession,
    *,
    tenant_id: str,
    name: str,
    scopes: Iterable[str],
    expires_at: datetime | None = None,
    rate_limit_per_minute: int | None = None,
    user_id: UUID | None = None,
    brand_ids: Iterable[str] | None = None,
) -> IssuedKey:
    """Store a new key's hash for `tenant_id` (created if new) and return the plaintext once.

    `rate_limit_per_minute` caps the key's requests per API process; None means the platform
    default. With `user_id` it is that user's personal token: it acts as them, and only while
    they are a member, within their role (`ApiKeyVerifier`). With `brand_ids` it acts on those
    brands only (each must exist: `UnknownBrand`).
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
    brands = None if brand_ids is None else tuple(sorted(set(brand_ids)))
    if brands is not None:
        if not brands:
            raise InvalidInput("brand_ids lists no brand (leave it out for every brand)")
        unknown = await missing_brands(session, tenant_id=tenant_id, brand_ids=brands)
        if unknown:
            raise UnknownBrand(unknown)
    key = generate_key()
    key_id = uuid4()
    created_at = await session.scalar(
        insert(api_key)
        .values(
            id=key_id,
            tenant_id=tenant_id,
            name=name,
            prefix=key[:10],
            key_hash=hash_key(key),
            scopes=list(wanted),
            expires_at=expires_at,
            rate_limit_per_minute=rate_limit_per_minute,
            user_id=user_id,
            brand_ids=None if brands is None else list(brands),
        )
        .returning(api_key.c.created_at)
    )
    return IssuedKey(
        id=key_id,
        tenant_id=tenant_id,
        name=name,
        scopes=wanted,
        key=key,
        rate_limit_per_minute=rate_limit_per_minute,
        expires_at=expires_at,
        user_id=user_id,
        prefix=key[:10],
        created_at=created_at,
        brand_ids=brands,
    )


def _owned_by(
    tenant_id: str, user_id: UUID | None, organization_only: bool
) -> list[ColumnElement[bool]]:
    where = [api_key.c.tenant_id == tenant_id]
    if user_id is not None:
        where.append(api_key.c.user_id == user_id)
    elif organization_only:
        where.append(api_key.c.user_id.is_(None))
    return where


async def revoke_key(
    session: AsyncSession,
    *,
    tenant_id: str,
    key_id: UUID,
    user_id: UUID | None = None,
    organization_only: bool = False,
) -> datetime:
    """Revoke one of the tenant's keys (only `user_id`'s personal tokens, or only the
    organization's keys, when asked); it stops working within the verifier's cache period.

    Revoking a revoked key keeps its first revocation time, which is returned.
    """
    revoked_at: datetime | None = await session.scalar(
        update(api_key)
        .where(api_key.c.id == key_id, *_owned_by(tenant_id, user_id, organization_only))
        .values(revoked_at=func.coalesce(api_key.c.revoked_at, func.now()))
        .returning(api_key.c.revoked_at)
    )
    if revoked_at is None:
        raise ApiKeyNotFound(f"No API key {key_id} here.")
    return revoked_at


async def revoke_personal_tokens(session: AsyncSession, *, tenant_id: str, user_id: UUID) -> None:
    """Revoke every personal token `user_id` holds in the organization (they leave it): were
    they invited again, their old tokens would otherwise work again."""
    await session.execute(
        update(api_key)
        .where(
            api_key.c.tenant_id == tenant_id,
            api_key.c.user_id == user_id,
            api_key.c.revoked_at.is_(None),
        )
        .values(revoked_at=func.now())
    )


async def list_keys(
    session: AsyncSession,
    *,
    tenant_id: str,
    user_id: UUID | None = None,
    organization_only: bool = False,
) -> list[dict[str, object]]:
    """The tenant's keys, without secrets, oldest first: all of them, only `user_id`'s personal
    tokens, or only the organization's own keys."""
    rows = await session.execute(
        select(
            api_key.c.id,
            api_key.c.name,
            api_key.c.prefix,
            api_key.c.scopes,
            api_key.c.rate_limit_per_minute,
            api_key.c.user_id,
            api_key.c.brand_ids,
            api_key.c.created_at,
            api_key.c.expires_at,
            api_key.c.revoked_at,
        )
        .where(*_owned_by(tenant_id, user_id, organization_only))
        .order_by(api_key.c.created_at, api_key.c.id)
    )
    return [dict(row._mapping) for row in rows]
