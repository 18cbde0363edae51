"""Mastodon: every instance is its own authorization server, where Beacon registers an app
(`POST /api/v1/apps`, once per instance) before the OAuth code flow; PKCE where the instance
says it supports it (4.3+, in its RFC 8414 metadata). Tokens do not expire; the app that obtained
one revokes it at `/oauth/revoke`."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

import httpx
from pydantic import SecretStr

from beacon_shared.networks.oauth.base import (
    ClientApp,
    GrantedAccount,
    OAuthRefused,
    TokenSet,
    answer,
    body_of,
    call,
    revoked,
    token_set,
)

NETWORK = "mastodon"
SCOPES = ("read", "write", "profile")


async def register_app(
    http: httpx.AsyncClient, *, instance: str, redirect_uri: str, client_name: str, website: str
) -> ClientApp:
    """Beacon's app on the instance, for this redirect URI."""
    response = await call(
        http,
        "POST",
        f"{instance}/api/v1/apps",
        network=NETWORK,
        data={
            "client_name": client_name,
            "redirect_uris": redirect_uri,
            "scopes": " ".join(SCOPES),
            "website": website,
        },
    )
    body = answer(response, network=NETWORK, what="the app registration")
    client_id, secret = body.get("client_id"), body.get("client_secret")
    if not isinstance(client_id, str) or not isinstance(secret, str):
        raise OAuthRefused("unexpected_answer", "the instance registered no client")
    return ClientApp(client_id, SecretStr(secret))


async def supports_pkce(http: httpx.AsyncClient, *, instance: str) -> bool:
    """Whether the instance's authorization server metadata lists S256 (Mastodon 4.3+)."""
    response = await call(
        http, "GET", f"{instance}/.well-known/oauth-authorization-server", network=NETWORK
    )
    if not response.is_success:
        return False
    methods = body_of(response).get("code_challenge_methods_supported") or []
    return isinstance(methods, list) and "S256" in methods


@dataclass(frozen=True)
class MastodonOAuth:
    """OAuth with one instance, as the app registered there."""

    http: httpx.AsyncClient
    app: ClientApp
    instance: str

    def authorization_url(
        self, *, state: str, redirect_uri: str, code_challenge: str | None
    ) -> str:
        """Where the browser goes to sign in to the instance and allow Beacon."""
        params = {
            "response_type": "code",
            "client_id": self.app.client_id,
            "redirect_uri": redirect_uri,
            "scope": " ".join(SCOPES),
            "state": state,
        }
        if code_challenge is not None:
            params |= {"code_challenge": code_challenge, "code_challenge_method": "S256"}
        return f"{self.instance}/oauth/authorize?{urlencode(params)}"

    async def exchange(
        self, *, code: str, redirect_uri: str, code_verifier: str | None
    ) -> TokenSet:
        """The access token for an authorization code."""
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "client_id": self.app.client_id,
            "client_secret": self.app.client_secret.get_secret_value(),
            "scope": " ".join(SCOPES),
        }
        if code_verifier is not None:
            form["code_verifier"] = code_verifier
        response = await call(
            self.http, "POST", f"{self.instance}/oauth/token", network=NETWORK, data=form
        )
        return token_set(response, network=NETWORK, need_refresh=False)

    async def revoke(self, access_token: str) -> None:
        """Revoke an access token this app obtained (`POST /oauth/revoke`)."""
        response = await call(
            self.http,
            "POST",
            f"{self.instance}/oauth/revoke",
            network=NETWORK,
            data={
                "client_id": self.app.client_id,
                "client_secret": self.app.client_secret.get_secret_value(),
                "token": access_token,
            },
        )
        revoked(response, network=NETWORK)

    async def connect(
        self, *, code: str, redirect_uri: str, code_verifier: str | None
    ) -> list[GrantedAccount]:
        """The callback: the token, then the account it acts as."""
        tokens = await self.exchange(
            code=code, redirect_uri=redirect_uri, code_verifier=code_verifier
        )
        response = await call(
            self.http,
            "GET",
            f"{self.instance}/api/v1/accounts/verify_credentials",
            network=NETWORK,
            headers={"Authorization": f"Bearer {tokens.access_token}"},
        )
        account = answer(response, network=NETWORK, what="the account")
        if not isinstance(account.get("id"), str):
            raise OAuthRefused("unexpected_answer", "the instance answered no account id")
        return [
            GrantedAccount(
                kind="mastodon",
                external_id=account["id"],
                display_name=account.get("display_name") or None,
                handle=account.get("acct") or account.get("username"),
                credentials={"base_url": self.instance, "access_token": tokens.access_token},
                scopes=tokens.scopes or SCOPES,
                instance_url=self.instance,
            )
        ]
