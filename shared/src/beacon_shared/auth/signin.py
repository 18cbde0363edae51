"""Bearer tokens of the deployment's OpenID Connect issuer, turned into principals."""

from __future__ import annotations

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from beacon_shared.auth.members import ORGANIZATION_HEADER, MemberDirectory, choose
from beacon_shared.auth.oidc import Identity, OidcConfig, OidcVerifier, TokenRefused
from beacon_shared.auth.principal import Principal
from beacon_shared.errors import Forbidden, Unauthorized
from beacon_shared.settings import ServiceSettings

ISSUER_TIMEOUT_SECONDS = 5.0


class SignIn:
    """Verifies an access token, then finds the member it names in the chosen organization."""

    def __init__(self, verifier: OidcVerifier, members: MemberDirectory) -> None:
        self.verifier = verifier
        self.members = members

    @classmethod
    def from_settings(cls, settings: ServiceSettings, engine: AsyncEngine) -> SignIn | None:
        """None when no issuer is configured (only API keys are accepted then)."""
        if not settings.oidc_issuer:
            return None
        # The deployment's own issuer, not a URL a tenant gave: no egress guard, which would
        # refuse an issuer on the private network.
        http = httpx.AsyncClient(timeout=ISSUER_TIMEOUT_SECONDS, trust_env=False)
        verifier = OidcVerifier(OidcConfig(settings.oidc_issuer, settings.oidc_audience), http=http)
        return cls(verifier, MemberDirectory(engine, cache_seconds=settings.api_key_cache_seconds))

    async def identity(self, token: str) -> Identity:
        """Who the token names, whether or not they are a member of anything (Unauthorized when
        it does not verify)."""
        try:
            return await self.verifier.verify(token)
        except TokenRefused as exc:
            raise Unauthorized(f"The access token is not valid: {exc.reason}.") from exc

    async def principal(self, token: str, *, organization: str | None) -> Principal:
        """The member the token names, acting in `organization` (or their only one)."""
        identity = await self.identity(token)
        memberships = await self.members.memberships(identity)
        chosen = choose(memberships, organization)
        if chosen is None:
            if not memberships:
                raise Forbidden("You are signed in but not a member of any organization.")
            if organization is not None:
                raise Forbidden(f"You are not a member of the organization {organization!r}.")
            raise Forbidden(
                f"You are a member of several organizations: name one in {ORGANIZATION_HEADER}."
            )
        return Principal(
            tenant_id=chosen.tenant_id,
            key_id=chosen.user_id,
            scopes=chosen.scopes,
            user_id=chosen.user_id,
            role=chosen.role,
            signed_in=True,
            brand_scopes=chosen.brand_scopes,
        )

    async def aclose(self) -> None:
        """Close the issuer client."""
        await self.verifier.http.aclose()
