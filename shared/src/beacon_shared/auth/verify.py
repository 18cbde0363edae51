"""Verifying API keys on requests and scoping every query to the caller's tenant."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from fastapi import Request, Response
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import Row, and_, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from beacon_shared.auth.brands import limit_to_brands, member_access
from beacon_shared.auth.cache import ShortCache
from beacon_shared.auth.keys import KEY_PREFIX, hash_key
from beacon_shared.auth.members import ORGANIZATION_HEADER
from beacon_shared.auth.oidc import Identity
from beacon_shared.auth.principal import Principal
from beacon_shared.auth.rate_limit import RateLimitDecision, RateLimiter
from beacon_shared.auth.signin import SignIn
from beacon_shared.auth.tables import ACTIVE, api_key, brand, brand_role, membership
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
        self.rate_limiter = RateLimiter() if rate_limiter is None else rate_limiter
        self._cache: ShortCache[str, Principal | None] = ShortCache(cache_seconds)

    async def verify(self, key: str) -> Principal | None:
        """The key's principal, or None when unknown, revoked or expired."""
        digest = hash_key(key)
        fresh, cached = self._cache.get(digest)
        if fresh:
            return cached
        async with self.engine.connect() as conn:
            row = (
                await conn.execute(
                    select(
                        api_key.c.id,
                        api_key.c.tenant_id,
                        api_key.c.scopes,
                        api_key.c.rate_limit_per_minute,
                        api_key.c.user_id,
                        api_key.c.brand_ids,
                        membership.c.role,
                    )
                    .select_from(api_key)
                    .outerjoin(
                        membership,
                        and_(
                            membership.c.tenant_id == api_key.c.tenant_id,
                            membership.c.user_id == api_key.c.user_id,
                        ),
                    )
                    .where(api_key.c.key_hash == digest, ACTIVE)
                )
            ).first()
            brand_roles = (
                await _brand_roles(conn, row.tenant_id, row.user_id)
                if row is not None and row.user_id is not None
                else {}
            )
        principal = _principal(row, brand_roles) if row else None
        self._cache.put(digest, principal)
        return principal


async def _brand_roles(conn: AsyncConnection, tenant_id: str, user_id: UUID) -> dict[str, str]:
    """A member's role on each live brand they were given one on."""
    rows = await conn.execute(
        select(brand_role.c.brand_id, brand_role.c.role)
        .join(
            brand,
            and_(brand.c.tenant_id == brand_role.c.tenant_id, brand.c.id == brand_role.c.brand_id),
        )
        .where(
            brand_role.c.tenant_id == tenant_id,
            brand_role.c.user_id == user_id,
            brand.c.deleted_at.is_(None),
        )
    )
    return {r.brand_id: r.role for r in rows}


def _principal(row: Row[*tuple[Any, ...]], brand_roles: dict[str, str]) -> Principal | None:
    """An organization key as issued; a personal token as its user, within their role now (none
    once they are no longer a member); either limited to the key's brands when it names some."""
    scopes = frozenset(row.scopes)
    brand_scopes = None
    if row.user_id is not None:
        if row.role is None:
            return None
        scopes, brand_scopes = member_access(row.role, brand_roles, token_scopes=scopes)
    scopes, brand_scopes = limit_to_brands(scopes, brand_scopes, row.brand_ids)
    return Principal(
        row.tenant_id,
        row.id,
        scopes,
        row.rate_limit_per_minute,
        user_id=row.user_id,
        role=row.role,
        brand_scopes=brand_scopes,
    )


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
        principal, decision = await _authenticated(request)
        if not principal.allows(scope):
            raise Forbidden(f"This API key lacks the scope {scope!r}.", headers=decision.headers())
        if principal.limited:
            raise Forbidden(
                "This credential is limited to some brands; this route acts on the whole "
                "organization.",
                headers=decision.headers(),
            )
        response.headers.update(decision.headers())
        return principal

    API_KEY_DEPENDENCIES.add(dependency)
    return dependency


def require_brand_scope(scope: str) -> Callable[..., Awaitable[Principal]]:
    """Like `require_scope` for routes about brands, which a credential limited to some brands
    passes when one of them grants `scope`: the route then checks the brand it touches
    (`BrandDirectory.check`) or keeps its lists to `Principal.brands_for(scope)`."""

    async def dependency(request: Request, response: Response) -> Principal:
        principal, decision = await _authenticated(request)
        if not principal.allows(scope):
            raise Forbidden(f"This API key lacks the scope {scope!r}.", headers=decision.headers())
        response.headers.update(decision.headers())
        return principal

    API_KEY_DEPENDENCIES.add(dependency)
    return dependency


def require_caller() -> Callable[..., Awaitable[Principal]]:
    """Like `require_scope` but with no scope to check: for routes about the caller themselves
    (who am I), which any valid credential may use."""

    async def dependency(request: Request, response: Response) -> Principal:
        principal, decision = await _authenticated(request)
        response.headers.update(decision.headers())
        return principal

    API_KEY_DEPENDENCIES.add(dependency)
    return dependency


def require_person() -> Callable[..., Awaitable[Principal]]:
    """Like `require_caller`, but only a member signed in with the issuer's access token passes
    (403 for any API key, a personal token included): for what only the person may do
    themselves, such as minting their personal tokens."""

    async def dependency(request: Request, response: Response) -> Principal:
        principal, decision = await _authenticated(request)
        if not principal.signed_in:
            raise Forbidden(
                "Only a person signed in with the issuer's access token may do this, "
                "not an API key.",
                headers=decision.headers(),
            )
        response.headers.update(decision.headers())
        return principal

    API_KEY_DEPENDENCIES.add(dependency)
    return dependency


def require_identity() -> Callable[..., Awaitable[Identity]]:
    """The signed-in person the issuer's access token names, member of an organization or not
    (401 without a valid token, 403 for an API key): for joining one, and nothing else.

    Metered like the other credentials, by the issuer and subject.
    """

    async def dependency(request: Request, response: Response) -> Identity:
        token = await _credential(request)
        if token.startswith(KEY_PREFIX):
            raise Forbidden("Only a person signed in with the issuer's access token may do this.")
        sign_in: SignIn | None = request.app.state.sign_in
        if sign_in is None:
            raise Unauthorized("The API key is not valid.")
        identity = await sign_in.identity(token)
        verifier: ApiKeyVerifier = request.app.state.api_keys
        metered_as = uuid5(NAMESPACE_URL, f"{identity.issuer}#{identity.subject}")
        decision = _take(request, verifier, metered_as, None)
        _refuse_over_limit(decision)
        response.headers.update(decision.headers())
        return identity

    API_KEY_DEPENDENCIES.add(dependency)
    return dependency


async def _credential(request: Request) -> str:
    credentials: HTTPAuthorizationCredentials | None = await _bearer(request)
    key = credentials.credentials if credentials else await _header(request)
    if not key:
        raise Unauthorized("An API key is required (Authorization: Bearer or X-API-Key).")
    return key


async def _authenticated(request: Request) -> tuple[Principal, RateLimitDecision]:
    """The caller's principal, metered (refused calls count against the key too)."""
    key = await _credential(request)
    verifier: ApiKeyVerifier = request.app.state.api_keys
    if key.startswith(KEY_PREFIX):
        principal = await verifier.verify(key)
        if principal is None:
            raise Unauthorized("The API key is not valid, or was revoked or expired.")
    else:
        principal = await _signed_in(request, key)
    # The audit log records who made the call once it is answered (beacon_shared.audit).
    request.state.principal = principal
    decision = _metered(request, verifier, principal)
    _refuse_over_limit(decision)
    return principal, decision


def _refuse_over_limit(decision: RateLimitDecision) -> None:
    if not decision.allowed:
        raise RateLimited(
            f"This API key may make {decision.limit} requests a minute; "
            f"try again in {decision.retry_after_seconds} s.",
            retry_after=decision.retry_after_seconds,
            headers=decision.headers(),
        )


async def _signed_in(request: Request, token: str) -> Principal:
    """The member an access token of the deployment's issuer names (see auth.signin)."""
    sign_in: SignIn | None = request.app.state.sign_in
    if sign_in is None:
        raise Unauthorized("The API key is not valid.")
    return await sign_in.principal(token, organization=request.headers.get(ORGANIZATION_HEADER))


def _metered(request: Request, verifier: ApiKeyVerifier, principal: Principal) -> RateLimitDecision:
    """Take one token for this request, once even if a route checks several scopes."""
    return _take(request, verifier, principal.key_id, principal.rate_limit_per_minute)


def _take(
    request: Request, verifier: ApiKeyVerifier, metered_as: UUID, limit: int | None
) -> RateLimitDecision:
    decision: RateLimitDecision | None = getattr(request.state, "rate_limit", None)
    if decision is None:
        settings: ServiceSettings = request.app.state.settings
        decision = verifier.rate_limiter.take(
            metered_as,
            limit_per_minute=settings.api_rate_limit_per_minute if limit is None else limit,
        )
        request.state.rate_limit = decision
    return decision
