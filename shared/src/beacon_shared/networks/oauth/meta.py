"""Facebook Login for Business: one login grants every Page the person manages, each with its
own Page token, and the Instagram professional account linked to each Page.

The code is exchanged for a short-lived user token, that for a long-lived one (60 days); Page
tokens obtained with a long-lived user token do not expire.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

import httpx

from beacon_shared.networks import graph
from beacon_shared.networks.oauth.base import (
    ClientApp,
    GrantedAccount,
    OAuthRefused,
    TokenSet,
    answer,
    call,
    token_set,
)

NETWORK = "facebook"
SCOPES = (
    "pages_show_list",
    "pages_read_engagement",
    "pages_read_user_content",
    "pages_manage_posts",
    "pages_manage_engagement",
    "pages_manage_metadata",
    "business_management",
    "instagram_basic",
    "instagram_manage_comments",
    "instagram_content_publish",
)
PAGE_FIELDS = "id,name,access_token,instagram_business_account{id,username,name}"
# More pages than any one person manages; a bound on the paging loop.
MAX_PAGES_OF_PAGES = 20


@dataclass(frozen=True)
class MetaOAuth:
    """Facebook Login at `auth_url` (www.facebook.com) and Graph at `graph_url`."""

    http: httpx.AsyncClient
    app: ClientApp
    auth_url: str = "https://www.facebook.com"
    graph_url: str = graph.DEFAULT_BASE_URL
    version: str = graph.DEFAULT_VERSION

    def authorization_url(self, *, state: str, redirect_uri: str) -> str:
        """Where the browser goes to log in and pick the Pages."""
        query = urlencode(
            {
                "client_id": self.app.client_id,
                "redirect_uri": redirect_uri,
                "state": state,
                "response_type": "code",
                "scope": ",".join(SCOPES),
            }
        )
        return f"{self.auth_url}/{self.version}/dialog/oauth?{query}"

    def _graph(self, path: str) -> str:
        return f"{self.graph_url}/{self.version}/{path}"

    async def exchange(self, *, code: str, redirect_uri: str) -> TokenSet:
        """The short-lived user token for an authorization code."""
        response = await call(
            self.http,
            "POST",
            self._graph("oauth/access_token"),
            network=NETWORK,
            data={
                "client_id": self.app.client_id,
                "client_secret": self.app.client_secret.get_secret_value(),
                "redirect_uri": redirect_uri,
                "code": code,
            },
        )
        return token_set(response, network=NETWORK, need_refresh=False)

    async def long_lived(self, user_token: str) -> TokenSet:
        """A long-lived user token (about 60 days) for a short-lived one."""
        response = await call(
            self.http,
            "POST",
            self._graph("oauth/access_token"),
            network=NETWORK,
            data={
                "grant_type": "fb_exchange_token",
                "client_id": self.app.client_id,
                "client_secret": self.app.client_secret.get_secret_value(),
                "fb_exchange_token": user_token,
            },
        )
        return token_set(response, network=NETWORK, need_refresh=False)

    async def granted_scopes(self, user_token: str) -> tuple[str, ...]:
        """The permissions the person granted (they may untick some)."""
        response = await call(
            self.http,
            "GET",
            self._graph("me/permissions"),
            network=NETWORK,
            headers=_bearer(user_token),
        )
        body = answer(response, network=NETWORK, what="the granted permissions")
        return tuple(
            str(p["permission"])
            for p in body.get("data") or []
            if isinstance(p, dict) and p.get("status") == "granted" and p.get("permission")
        )

    async def accounts(self, user_token: str) -> list[GrantedAccount]:
        """Every Page the login grants, with its Page token, and each Page's linked Instagram
        professional account (acting with the same Page token)."""
        scopes = await self.granted_scopes(user_token)
        found: list[GrantedAccount] = []
        params = {"fields": PAGE_FIELDS, "limit": "100"}
        for _ in range(MAX_PAGES_OF_PAGES):
            response = await call(
                self.http,
                "GET",
                self._graph("me/accounts"),
                network=NETWORK,
                params=params,
                headers=_bearer(user_token),
            )
            body = answer(response, network=NETWORK, what="the Pages")
            for page in body.get("data") or []:
                found.extend(_page_accounts(page, scopes))
            paging = body.get("paging") or {}
            after = (paging.get("cursors") or {}).get("after")
            # Graph's `next` URL would carry the token in its query: page with the cursor.
            if not paging.get("next") or not isinstance(after, str):
                break
            params = {**params, "after": after}
        if not found:
            raise OAuthRefused("no_pages", "the login granted no Facebook Page")
        return found

    async def connect(self, *, code: str, redirect_uri: str) -> list[GrantedAccount]:
        """The whole callback: code, long-lived user token, then the Pages and Instagram
        accounts it grants (Page tokens do not expire: no expiry to keep)."""
        short = await self.exchange(code=code, redirect_uri=redirect_uri)
        user = await self.long_lived(short.access_token)
        return await self.accounts(user.access_token)


def _bearer(token: str) -> dict[str, str]:
    # In a header, never the query: URLs end up in logs.
    return {"Authorization": f"Bearer {token}"}


def _page_accounts(page: object, scopes: tuple[str, ...]) -> list[GrantedAccount]:
    if not isinstance(page, dict):
        return []
    page_id, token = page.get("id"), page.get("access_token")
    if not isinstance(page_id, str) or not isinstance(token, str) or not token:
        return []
    name = page.get("name") if isinstance(page.get("name"), str) else None
    accounts = [
        GrantedAccount(
            kind="facebook_page",
            external_id=page_id,
            display_name=name,
            handle=None,
            credentials={"access_token": token},
            scopes=tuple(s for s in scopes if not s.startswith("instagram_")),
        )
    ]
    instagram = page.get("instagram_business_account")
    if isinstance(instagram, dict) and isinstance(instagram.get("id"), str):
        accounts.append(
            GrantedAccount(
                kind="instagram_business",
                external_id=instagram["id"],
                display_name=instagram.get("name") or name,
                handle=instagram.get("username"),
                credentials={"access_token": token, "page_id": page_id},
                scopes=tuple(s for s in scopes if s.startswith(("instagram_", "pages_show"))),
            )
        )
    return accounts
