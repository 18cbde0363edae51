"""Facebook Login for Business: one login grants every Page the person manages, each with its
own Page token, and the Instagram professional account linked to each Page.

The code is exchanged for a short-lived user token, that for a long-lived one (60 days); Page
tokens obtained with a long-lived user token do not expire, but Meta invalidates them (a changed
password, the app removed, permissions revoked) and the app's access to the person's data lapses
90 days after they last used it: `debug_token`, asked as the app, says which.

A Page token cannot be revoked on its own: `DELETE /{user-id}/permissions` removes the app for
the person altogether, with every Page they granted.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

import httpx

from beacon_shared.networks import graph
from beacon_shared.networks.oauth.base import (
    ClientApp,
    GrantedAccount,
    OAuthRefused,
    OAuthUnavailable,
    TokenSet,
    answer,
    body_of,
    call,
    error_code,
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
# Graph's error subcodes for an access token that no longer works (Access Token errors, in the
# error-handling guide), as the reason an account needs a person.
INVALID_TOKEN_REASONS = {
    458: "app_removed",
    459: "user_checkpointed",
    460: "password_changed",
    463: "token_expired",
    464: "user_unconfirmed",
    467: "token_invalid",
}


@dataclass(frozen=True)
class TokenStatus:
    """What `debug_token` says of an access token; times are None when Meta gives none (0)."""

    is_valid: bool
    expires_at: datetime | None
    data_access_expires_at: datetime | None
    scopes: tuple[str, ...] | None
    error_code: int | None = None
    error_subcode: int | None = None

    @property
    def invalid_reason(self) -> str:
        """Why the token no longer works, short and safe to show."""
        if self.error_subcode in INVALID_TOKEN_REASONS:
            return INVALID_TOKEN_REASONS[self.error_subcode]
        return "token_invalid"


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

    async def debug_token(self, token: str) -> TokenStatus:
        """What Graph says of a token, asked with the app's token (`app-id|app-secret`).

        `debug_token` takes the token in its query: it is asked through a batch request, whose
        operations travel in the POST body, so that no URL (logged, traced) ever holds it.
        """
        operation = {
            "method": "GET",
            "relative_url": "debug_token?" + urlencode({"input_token": token}),
        }
        response = await call(
            self.http,
            "POST",
            f"{self.graph_url}/{self.version}",
            network=NETWORK,
            data={
                "access_token": f"{self.app.client_id}|{self.app.client_secret.get_secret_value()}",
                "batch": json.dumps([operation]),
                "include_headers": "false",
            },
        )
        if not response.is_success:
            raise OAuthRefused(
                error_code(body_of(response)),
                f"Graph refused the app's token check ({response.status_code})",
            )
        return _token_status(_only_operation(response))

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


def _only_operation(response: httpx.Response) -> dict[str, Any]:
    """The one operation's answer of a batch: its JSON body, or OAuthUnavailable/OAuthRefused."""
    try:
        results = response.json()
    except ValueError:
        results = None
    if not isinstance(results, list) or len(results) != 1:
        raise OAuthRefused("unexpected_answer", "Graph answered a batch of another shape")
    result = results[0]
    if result is None:  # Graph's answer for an operation that did not finish in time
        raise OAuthUnavailable("Graph did not finish the token check")
    status = result.get("code") if isinstance(result, dict) else None
    if not isinstance(status, int):
        raise OAuthRefused("unexpected_answer", "Graph answered an operation without a status")
    try:
        body = json.loads(result.get("body") or "{}")
    except ValueError:
        body = {}
    body = body if isinstance(body, dict) else {}
    if status == 429 or status >= 500:
        raise OAuthUnavailable(f"Graph answered {status} checking the token")
    if not 200 <= status < 300:
        raise OAuthRefused(error_code(body), f"Graph answered {status} checking the token")
    return body


def _token_status(body: dict[str, Any]) -> TokenStatus:
    data = body.get("data")
    if not isinstance(data, dict) or not isinstance(data.get("is_valid"), bool):
        raise OAuthRefused("unexpected_answer", "Graph answered no token validity")
    error = data.get("error")
    error = error if isinstance(error, dict) else {}
    scopes = data.get("scopes")
    return TokenStatus(
        is_valid=data["is_valid"],
        expires_at=_time(data.get("expires_at")),
        data_access_expires_at=_time(data.get("data_access_expires_at")),
        scopes=tuple(str(s) for s in scopes) if isinstance(scopes, list) else None,
        error_code=_number(error.get("code")),
        error_subcode=_number(error.get("subcode")),
    )


def _number(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _time(value: object) -> datetime | None:
    seconds = _number(value)
    # 0 is Meta's "never".
    return datetime.fromtimestamp(seconds, UTC) if seconds else None
