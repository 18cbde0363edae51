"""X's OAuth 2.0 Authorization Code Flow with PKCE, as a confidential client.

Access tokens last two hours; with `offline.access` a refresh token comes too, and every
refresh answers a new one (the old one stops working): it must be stored with the access token.
Either token is revoked at `/2/oauth2/revoke` (RFC 7009), the client authenticating as at the
token endpoint.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlencode

import httpx

from beacon_shared.networks import x
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

NETWORK = "x"
SCOPES = (
    "tweet.read",
    "tweet.write",
    "tweet.moderate.write",
    "users.read",
    "like.read",
    "offline.access",
)


@dataclass(frozen=True)
class XOAuth:
    """X's authorization page at `auth_url` (x.com) and its API at `api_url` (api.x.com)."""

    http: httpx.AsyncClient
    app: ClientApp
    auth_url: str = "https://x.com"
    api_url: str = x.DEFAULT_BASE_URL

    def authorization_url(self, *, state: str, redirect_uri: str, code_challenge: str) -> str:
        """Where the browser goes to authorize Beacon."""
        query = urlencode(
            {
                "response_type": "code",
                "client_id": self.app.client_id,
                "redirect_uri": redirect_uri,
                "scope": " ".join(SCOPES),
                "state": state,
                "code_challenge": code_challenge,
                "code_challenge_method": "S256",
            }
        )
        return f"{self.auth_url}/i/oauth2/authorize?{query}"

    async def _token(self, form: dict[str, str]) -> TokenSet:
        response = await call(
            self.http,
            "POST",
            f"{self.api_url}/2/oauth2/token",
            network=NETWORK,
            data=form,
            auth=(self.app.client_id, self.app.client_secret.get_secret_value()),
        )
        return token_set(response, network=NETWORK, need_refresh=True)

    async def exchange(self, *, code: str, redirect_uri: str, code_verifier: str) -> TokenSet:
        """Tokens for an authorization code; a missing refresh token is refused."""
        return await self._token(
            {
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": redirect_uri,
                "code_verifier": code_verifier,
                "client_id": self.app.client_id,
            }
        )

    async def refresh(self, refresh_token: str) -> TokenSet:
        """A new access token and the new refresh token that replaces the one given."""
        return await self._token(
            {
                "grant_type": "refresh_token",
                "refresh_token": refresh_token,
                "client_id": self.app.client_id,
            }
        )

    async def revoke(self, token: str, *, hint: str) -> None:
        """Revoke an access or refresh token (`hint`: `access_token` or `refresh_token`)."""
        response = await call(
            self.http,
            "POST",
            f"{self.api_url}/2/oauth2/revoke",
            network=NETWORK,
            data={"token": token, "token_type_hint": hint, "client_id": self.app.client_id},
            auth=(self.app.client_id, self.app.client_secret.get_secret_value()),
        )
        revoked(response, network=NETWORK)

    async def connect(
        self, *, code: str, redirect_uri: str, code_verifier: str, now: datetime
    ) -> list[GrantedAccount]:
        """The callback: tokens, then the user they act as."""
        tokens = await self.exchange(
            code=code, redirect_uri=redirect_uri, code_verifier=code_verifier
        )
        response = await call(
            self.http,
            "GET",
            f"{self.api_url}/2/users/me",
            network=NETWORK,
            headers={"Authorization": f"Bearer {tokens.access_token}"},
        )
        user = answer(response, network=NETWORK, what="the user").get("data") or {}
        if not isinstance(user, dict) or not isinstance(user.get("id"), str):
            raise OAuthRefused("unexpected_answer", "X answered no user id")
        assert tokens.refresh_token is not None  # token_set(need_refresh=True) made sure
        return [
            GrantedAccount(
                kind="x_user",
                external_id=str(user["id"]),
                display_name=user.get("name"),
                handle=user.get("username"),
                credentials={
                    "access_token": tokens.access_token,
                    "refresh_token": tokens.refresh_token,
                },
                scopes=tokens.scopes,
                access_expires_at=tokens.access_expires_at(now),
            )
        ]
