"""Verifying API keys on requests and scoping every query to the caller's tenant."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

from fastapi import Request, Response
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from beacon_shared.auth.keys import KEY_PREFIX, hash_key
from beacon_shared.auth.members import ORGANIZATION_HEADER
from beacon_shared.auth.principal import Principal
from beacon_shared.auth.rate_limit import RateLimitDecision, RateLimiter
from beacon_shared.auth.signin import SignIn
from beacon_shared.auth.tables import ACTIVE, api_key
from beacon_shared.errors import Forbidden, RateLimited, Unauthorized
from beacon_shared.openapi import API_KEY_DEPENDENCIES
from beacon_shared.settings import ServiceSettings


class ApiKeyVerifier:
    """Looks keys up by hash, caching answers (misses too) for a short period.

    It also holds the process's `rate_limiter`, which `require_scope` meters each key against.
    """

    def __init__(
        self,
        engine: AsyncEngine,
        *,
        cache_seconds: float = 5.0,
        rate_limiter: RateLimiter | None = None,
    ) -> None:
        self.engine = engine
        self.cache_seconds = cache_seconds
        self.rate_limiter = RateLimiter() if rate_limiter is None else rate_limiter
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
                    select(
                        api_key.c.id,
                        api_key.c.tenant_id,
                        api_key.c.scopes,
                        api_key.c.rate_limit_per_minute,
                    ).where(api_key.c.key_hash == digest, ACTIVE)
                )
            ).first()
        principal = (
            Principal(row.tenant_id, row.id, frozenset(row.scopes), row.rate_limit_per_minute)
            if row
            else None
        )
        if len(self._cache) > 10_000:
            self._cache.clear()
        self._cache[digest] = (now + self.cache_seconds, principal)
        return principal


_bearer = HTTPBearer(auto_error=False, description="An API key: `Authorization: Bearer bk_…`")
_header = APIKeyHeader(name="X-API-Key", auto_error=False, description="An API key.")


def require_scope(scope: str) -> Callable[..., Awaitable[Principal]]:
    """A dependency that authenticates the caller, checks one scope and meters the key's rate.

    Every authenticated request takes one token from its key's bucket. Over the limit it gets a
    429 problem with Retry-After. RateLimit-Limit, -Remaining and -Reset go out with the 429s and
    403s raised here and with the route's answer when FastAPI builds it from the returned value
    (not on a Response the route builds itself, nor on problems the route raises). Limits are
    counted per API process: see `beacon_shared.auth.rate_limit`.
    """

    async def dependency(request: Request, response: Response) -> Principal:
        credentials: HTTPAuthorizationCredentials | None = await _bearer(request)
        key = credentials.credentials if credentials else await _header(request)
        if not key:
            raise Unauthorized("An API key is required (Authorization: Bearer or X-API-Key).")
        verifier: ApiKeyVerifier = request.app.state.api_keys
        if key.startswith(KEY_PREFIX):
            principal = await verifier.verify(key)
            if principal is None:
                raise Unauthorized("The API key is not valid, or was revoked or expired.")
        else:
            principal = await _signed_in(request, key)
        # Metered before the scope check, so refused calls count against the key too.
        decision = _metered(request, verifier, principal)
        if not decision.allowed:
            raise RateLimited(
                f"This API key may make {decision.limit} requests a minute; "
                f"try again in {decision.retry_after_seconds} s.",
                retry_after=decision.retry_after_seconds,
                headers=decision.headers(),
            )
        if not principal.allows(scope):
            raise Forbidden(f"This API key lacks the scope {scope!r}.", headers=decision.headers())
        response.headers.update(decision.headers())
        return principal

    API_KEY_DEPENDENCIES.add(dependency)
    return dependency


async def _signed_in(request: Request, token: str) -> Principal:
    """The member an access token of the deployment's issuer names (see auth.signin)."""
    sign_in: SignIn | None = request.app.state.sign_in
    if sign_in is None:
        raise Unauthorized("The API key is not valid.")
    return await sign_in.principal(token, organization=request.headers.get(ORGANIZATION_HEADER))


def _metered(request: Request, verifier: ApiKeyVerifier, principal: Principal) -> RateLimitDecision:
    """Take one token for this request, once even if a route checks several scopes."""
    decision: RateLimitDecision | None = getattr(request.state, "rate_limit", None)
    if decision is None:
        settings: ServiceSettings = request.app.state.settings
        limit = principal.rate_limit_per_minute
        decision = verifier.rate_limiter.take(
            principal.key_id,
            limit_per_minute=settings.api_rate_limit_per_minute if limit is None else limit,
        )
        request.state.rate_limit = decision
    return decision
