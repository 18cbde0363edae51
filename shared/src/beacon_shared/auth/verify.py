"""Verifying API keys on requests and scoping every query to the caller's tenant."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from uuid import UUID

from fastapi import Request
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from beacon_shared.auth.keys import KEY_PREFIX, hash_key
from beacon_shared.auth.tables import ACTIVE, api_key
from beacon_shared.errors import Forbidden, Unauthorized


@dataclass(frozen=True)
class Principal:
    """Who is calling: a tenant, through one of its keys, with these scopes."""

    tenant_id: str
    key_id: UUID
    scopes: frozenset[str]

    def allows(self, scope: str) -> bool:
        """Whether the key grants `scope`."""
        return "*" in self.scopes or scope in self.scopes


class ApiKeyVerifier:
    """Looks keys up by hash, caching answers (misses too) for a short period."""

    def __init__(self, engine: AsyncEngine, *, cache_seconds: float = 5.0) -> None:
        self.engine = engine
        self.cache_seconds = cache_seconds
        self._cache: dict[str, tuple[float, Principal | None]] = {}

    async def verify(self, key: str) -> Principal | None:
        """The key's principal, or None when unknown, revoked or expired."""
        digest = hash_key(key)
        now = time.monotonic()
        cached = self._cache.get(digest)
        if cached is not None and cached[0] > now:
            return cached[1]
        async with self.engine.connect() as conn:
            row = (
                await conn.execute(
                    select(api_key.c.id, api_key.c.tenant_id, api_key.c.scopes).where(
                        api_key.c.key_hash == digest, ACTIVE
                    )
                )
            ).first()
        principal = Principal(row.tenant_id, row.id, frozenset(row.scopes)) if row else None
        if len(self._cache) > 10_000:
            self._cache.clear()
        self._cache[digest] = (now + self.cache_seconds, principal)
        return principal


_bearer = HTTPBearer(auto_error=False, description="An API key: `Authorization: Bearer bk_…`")
_header = APIKeyHeader(name="X-API-Key", auto_error=False, description="An API key.")


def require_scope(scope: str) -> Callable[..., Awaitable[Principal]]:
    """A dependency that authenticates the caller and checks one scope."""

    async def dependency(request: Request) -> Principal:
        credentials: HTTPAuthorizationCredentials | None = await _bearer(request)
        key = credentials.credentials if credentials else await _header(request)
        if not key:
            raise Unauthorized("An API key is required (Authorization: Bearer or X-API-Key).")
        if not key.startswith(KEY_PREFIX):
            raise Unauthorized("The API key is not valid.")
        verifier: ApiKeyVerifier = request.app.state.api_keys
        principal = await verifier.verify(key)
        if principal is None:
            raise Unauthorized("The API key is not valid, or was revoked or expired.")
        if not principal.allows(scope):
            raise Forbidden(f"This API key lacks the scope {scope!r}.")
        return principal

    return dependency
