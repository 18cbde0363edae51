"""Signing in with the deployment's OpenID Connect issuer: its access tokens are verified here.

The issuer is configured by URL and audience. Its discovery document and JWKS are fetched once
and cached; a token signed with a key id the cache does not know makes it fetch the JWKS again
(at most once every `refresh_interval` seconds, so a stream of forged key ids cannot hammer the
issuer), which is how keys rotate without a restart. Only asymmetric algorithms are accepted:
`none` and the HMAC family (whose key a verifier would have to share) are refused outright.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx
from joserfc import jws, jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from beacon_shared.logging import get_logger

log = get_logger(__name__)

ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "EdDSA")
MAX_TOKEN_BYTES = 16_384


class TokenRefused(Exception):
    """The bearer token is not one of the issuer's valid access tokens; `reason` says why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Identity:
    """Who the issuer says is calling."""

    issuer: str
    subject: str
    email: str | None
    name: str | None
    expires_at: int


@dataclass(frozen=True, slots=True)
class OidcConfig:
    """The issuer Beacon trusts, and how its keys are cached."""

    issuer: str
    audience: str
    jwks_ttl_seconds: float = 300.0
    refresh_interval_seconds: float = 10.0
    leeway_seconds: int = 30


class OidcVerifier:
    """Verifies access tokens against the issuer's published keys; see the module docstring."""

    def __init__(
        self,
        config: OidcConfig,
        *,
        http: httpx.AsyncClient,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.config = config
        self.http = http
        self._clock = clock
        self._keys: KeySet | None = None
        self._kids: frozenset[str] = frozenset()
        self._fetched_at = float("-inf")
        self._lock = asyncio.Lock()

    async def verify(self, token: str) -> Identity:
        """The identity a valid access token names, or TokenRefused."""
        if len(token) > MAX_TOKEN_BYTES:
            raise TokenRefused("the token is too long")
        try:
            header = jws.extract_compact(token.encode()).protected
        except (JoseError, ValueError, UnicodeError) as exc:
            raise TokenRefused("the token is not a signed JWT") from exc
        alg, kid = header.get("alg"), header.get("kid")
        if alg not in ALGORITHMS:
            raise TokenRefused(f"the algorithm {alg!r} is not accepted")
        if not isinstance(kid, str) or not kid:
            raise TokenRefused("the token names no key id")
        keys = await self._keys_with(kid)
        try:
            decoded = jwt.decode(token, keys, algorithms=[alg])
        except JoseError as exc:
            raise TokenRefused("the signature does not verify") from exc
        claims = decoded.claims
        self._check(claims)
        return Identity(
            issuer=claims["iss"],
            subject=claims["sub"],
            email=_text(claims.get("email")),
            name=_text(claims.get("name")),
            expires_at=int(claims["exp"]),
        )

    def _check(self, claims: Mapping[str, Any]) -> None:
        registry = jwt.JWTClaimsRegistry(
            now=lambda: int(self._clock()),
            leeway=self.config.leeway_seconds,
            iss={"essential": True, "value": self.config.issuer},
            aud={"essential": True, "value": self.config.audience},
            sub={"essential": True},
            exp={"essential": True},
        )
        try:
            registry.validate(dict(claims))
        except JoseError as exc:
            raise TokenRefused(_claim_reason(exc)) from exc

    async def _keys_with(self, kid: str) -> KeySet:
        """The cached key set, fetched again when stale or when it lacks `kid`."""
        now = self._clock()
        fresh = now - self._fetched_at < self.config.jwks_ttl_seconds
        if self._keys is not None and fresh and kid in self._kids:
            return self._keys
        async with self._lock:
            may_refresh = now - self._fetched_at >= self.config.refresh_interval_seconds
            if self._keys is None or not fresh or (kid not in self._kids and may_refresh):
                await self._refresh()
        if self._keys is None or kid not in self._kids:
            raise TokenRefused("the token is signed with a key the issuer does not publish")
        return self._keys

    async def _refresh(self) -> None:
        try:
            discovery = await self._json(
                f"{self.config.issuer.rstrip('/')}/.well-known/openid-configuration"
            )
            if discovery.get("issuer") != self.config.issuer:
                raise TokenRefused("the issuer's discovery document names another issuer")
            document = await self._json(str(discovery["jwks_uri"]))
            keys = KeySet.import_key_set(document)  # type: ignore[arg-type]
        except (httpx.HTTPError, KeyError, ValueError, JoseError) as exc:
            log.warning("oidc.jwks_unavailable", issuer=self.config.issuer, error=repr(exc))
            if self._keys is None:
                raise TokenRefused("the issuer's keys cannot be fetched") from exc
            return  # keep the keys we had: an issuer hiccup must not sign everyone out
        self._keys = keys
        self._kids = frozenset(str(key.kid) for key in keys.keys if key.kid)
        self._fetched_at = self._clock()
        log.info("oidc.jwks_fetched", issuer=self.config.issuer, kids=sorted(self._kids))

    async def _json(self, url: str) -> dict[str, Any]:
        response = await self.http.get(url)
        response.raise_for_status()
        body = response.json()
        if not isinstance(body, dict):
            raise ValueError(f"{url} did not answer a JSON object")
        return body


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _claim_reason(exc: JoseError) -> str:
    name = type(exc).__name__
    if name == "ExpiredTokenError":
        return "the token has expired"
    claim = getattr(exc, "claim", None)
    if claim == "iss":
        return "the token was issued by another issuer"
    if claim == "aud":
        return "the token is meant for another audience"
    if name == "MissingClaimError":
        return f"the token lacks the {claim or 'required'} claim"
    return f"the token's {claim or 'claims'} are not valid"
