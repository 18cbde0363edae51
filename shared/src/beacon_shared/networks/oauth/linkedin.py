"""LinkedIn's OAuth 2.0 (three-legged) with OpenID Connect: the member, and the organizations
(Pages) they administer, found through organizationAcls.

Access tokens last 60 days; partners approved for it get refresh tokens (a year), which LinkedIn
does not rotate. An access token is revoked at `/oauth/v2/revoke` with the client's secret.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

import httpx

from beacon_shared.networks.linkedin import DEFAULT_BASE_URL, DEFAULT_VERSION, rest_headers
from beacon_shared.networks.oauth.base import (
    ClientApp,
    GrantedAccount,
    OAuthRefused,
    TokenSet,
    answer,
    call,
    revoked,
    token_set,
)

NETWORK = "linkedin"
SCOPES = (
    "openid",
    "profile",
    "email",
    "w_member_social",
    "r_organization_admin",
    "w_organization_social",
    "r_organization_social",
)
ORGANIZATION_PREFIX = "urn:li:organization:"
MAX_ORGANIZATIONS = 100


@dataclass(frozen=True)
class LinkedInOAuth:
    """LinkedIn's authorization server at `auth_url` (www.linkedin.com) and its API at
    `api_url` (api.linkedin.com), in the versioned REST API of `version` (YYYYMM)."""

    http: httpx.AsyncClient
    app: ClientApp
    auth_url: str = "https://www.linkedin.com"
    api_url: str = DEFAULT_BASE_URL
    version: str = DEFAULT_VERSION

    def authorization_url(self, *, state: str, redirect_uri: str) -> str:
        """Where the browser goes to sign in to LinkedIn and allow Beacon."""
        query = urlencode(
            {
                "response_type": "code",
                "client_id": self.app.client_id,
                "redirect_uri": redirect_uri,
                "state": state,
                "scope": " ".join(SCOPES),
            }
        )
        return f"{self.auth_url}/oauth/v2/authorization?{query}"

    async def _token(self, form: dict[str, str]) -> TokenSet:
        response = await call(
            self.http,
            "POST",
            f"{self.auth_url}/oauth/v2/accessToken",
            network=NETWORK,
            data={
                **form,
                "client_id": self.app.client_id,
                "client_secret": self.app.client_secret.get_secret_value(),
            },
        )
        return token_set(response, network=NETWORK, need_refresh=False)

    async def exchange(self, *, code: str, redirect_uri: str) -> TokenSet:
        """Tokens for an authorization code."""
        return await self._token(
            {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri}
        )

    async def refresh(self, refresh_token: str) -> TokenSet:
        """A new access token; LinkedIn answers the same refresh token again."""
        return await self._token({"grant_type": "refresh_token", "refresh_token": refresh_token})

    async def revoke(self, access_token: str) -> None:
        """Revoke a member's access token."""
        response = await call(
            self.http,
            "POST",
            f"{self.auth_url}/oauth/v2/revoke",
            network=NETWORK,
            data={
                "client_id": self.app.client_id,
                "client_secret": self.app.client_secret.get_secret_value(),
                "token": access_token,
            },
        )
        revoked(response, network=NETWORK)

    async def _get(self, path: str, token: str, what: str, **params: str) -> dict[str, Any]:
        response = await call(
            self.http,
            "GET",
            f"{self.api_url}{path}",
            network=NETWORK,
            headers=rest_headers(token, self.version),
            params=params or None,
        )
        return answer(response, network=NETWORK, what=what)

    async def connect(self, *, code: str, redirect_uri: str, now: datetime) -> list[GrantedAccount]:
        """The callback: tokens, the member (OpenID userinfo), and each organization whose
        approved administrator they are."""
        tokens = await self.exchange(code=code, redirect_uri=redirect_uri)
        credentials = {"access_token": tokens.access_token}
        if tokens.refresh_token:
            credentials["refresh_token"] = tokens.refresh_token
        common: dict[str, Any] = {
            "credentials": credentials,
            "scopes": tokens.scopes,
            "access_expires_at": tokens.access_expires_at(now),
            "refresh_expires_at": tokens.refresh_expires_at(now),
        }
        member = await self._get("/v2/userinfo", tokens.access_token, "the member")
        if not isinstance(member.get("sub"), str):
            raise OAuthRefused("unexpected_answer", "LinkedIn answered no member id")
        found = [
            GrantedAccount(
                kind="linkedin_member",
                external_id=member["sub"],
                display_name=member.get("name"),
                handle=member.get("email"),
                **common,
            )
        ]
        acls = await self._get(
            "/rest/organizationAcls",
            tokens.access_token,
            "the organizations administered",
            q="roleAssignee",
            role="ADMINISTRATOR",
            state="APPROVED",
            count=str(MAX_ORGANIZATIONS),
        )
        for element in (acls.get("elements") or [])[:MAX_ORGANIZATIONS]:
            urn = element.get("organization") if isinstance(element, dict) else None
            if not isinstance(urn, str) or not urn.startswith(ORGANIZATION_PREFIX):
                continue
            org_id = urn.removeprefix(ORGANIZATION_PREFIX)
            organization = await self._get(
                f"/rest/organizations/{org_id}", tokens.access_token, "an organization"
            )
            found.append(
                GrantedAccount(
                    kind="linkedin_organization",
                    external_id=org_id,
                    display_name=organization.get("localizedName"),
                    handle=organization.get("vanityName"),
                    **common,
                )
            )
        return found
