"""Fake authorization servers speaking each network's documented OAuth protocol (Facebook Login
and Graph with debug_token in a batch, X OAuth 2.0 with PKCE, LinkedIn OAuth with OpenID userinfo
and organizationAcls, Mastodon app registration and OAuth, Bluesky createSession, and the token
revocation endpoints of X, LinkedIn and Mastodon), served over real HTTP on loopback so the
workspace reaches them through the egress guard.

Each authorization page consents at once, as the person would, and redirects the browser to
the redirect URI with a code and the state; `deny` makes it answer `error=access_denied`. Each
revocation endpoint records the tokens revoked (`revoked`); `revoke_status` makes it fail.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import secrets
import socket
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Annotated, Any
from urllib.parse import parse_qsl, urlencode

import uvicorn
from fastapi import Depends, FastAPI, Header, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

META_APP_ID, META_APP_SECRET = "meta-app-1", "meta-app-secret"
X_CLIENT_ID, X_CLIENT_SECRET = "x-client-1", "x-client-secret"
LINKEDIN_CLIENT_ID, LINKEDIN_CLIENT_SECRET = "li-client-1", "li-client-secret"
GRAPH = "v23.0"
# The permissions the person grants Meta's fake.
GRANTED = ["pages_show_list", "pages_manage_posts", "instagram_basic", "instagram_manage_comments"]


@contextlib.contextmanager
def serving(app: FastAPI) -> Iterator[str]:
    """Serve `app` over HTTP on 127.0.0.1 until the block ends; its base URL."""
    sock = socket.create_server(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the fake network did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(5)
        sock.close()


async def form_fields(request: Request) -> dict[str, str]:
    """An application/x-www-form-urlencoded body's fields."""
    assert request.headers["content-type"] == "application/x-www-form-urlencoded"
    return dict(parse_qsl((await request.body()).decode()))


class Secrets:
    """Every token and secret the fakes handed out, to look for where none may be."""

    def __init__(self) -> None:
        self.issued: list[str] = []

    def issue(self, prefix: str) -> str:
        secret = _token(prefix)
        self.issued.append(secret)
        return secret


SECRETS = Secrets()


def _token(prefix: str) -> str:
    return f"{prefix}-{secrets.token_urlsafe(16)}"


def _s256(verifier: str) -> str:
    return (
        base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    )


def _consent(
    grants: dict[str, dict[str, Any]], deny: bool, redirect_uri: str, state: str, **bound: Any
) -> RedirectResponse:
    if deny:
        query = {
            "error": "access_denied",
            "error_description": "The user denied the request",
            "state": state,
        }
    else:
        code = _token("code")
        grants[code] = {"redirect_uri": redirect_uri, **bound}
        query = {"code": code, "state": state}
    return RedirectResponse(f"{redirect_uri}?{urlencode(query)}", status_code=302)


@dataclass
class Fake:
    """What every fake keeps: issued codes (spent once), tokens, and switches a test flips."""

    grants: dict[str, dict[str, Any]] = field(default_factory=dict)
    tokens: set[str] = field(default_factory=set)
    deny: bool = False
    token_error: str | None = None
    url: str = ""
    revoked: list[str] = field(default_factory=list)
    revoke_status: int | None = None

    def reset(self) -> None:
        self.deny = False
        self.token_error = None
        self.revoke_status = None

    def revoke(self, token: str) -> JSONResponse | None:
        """The failure a test asked for, or the token recorded revoked and forgotten."""
        if self.revoke_status is not None:
            return JSONResponse({"error": "server_error"}, status_code=self.revoke_status)
        self.revoked.append(token)
        self.tokens.discard(token)
        return None

    def spend(self, code: str, redirect_uri: str) -> dict[str, Any] | None:
        grant = self.grants.pop(code, None)
        if grant is None or grant["redirect_uri"] != redirect_uri:
            return None
        return grant


@dataclass
class FakeMeta(Fake):
    """Facebook Login and the Graph API: two Pages, the first linked to an Instagram
    professional account; `me/accounts` pages one Page at a time and answers only a long-lived
    user token. Each test gets new Page tokens; `debug_token`, asked in a batch with the app's
    token, says every Page token issued is valid unless `invalid` gives its error subcode, with
    the data access of `data_access_expires` (else 90 days on) and the permissions of `scopes`
    (else those granted); `debugged` counts the checks of each token."""

    long_lived: set[str] = field(default_factory=set)
    page_tokens: dict[str, str] = field(default_factory=dict)
    page_of: dict[str, str] = field(default_factory=dict)
    invalid: dict[str, int] = field(default_factory=dict)
    data_access_expires: dict[str, int] = field(default_factory=dict)
    scopes: dict[str, list[str]] = field(default_factory=dict)
    debugged: Counter[str] = field(default_factory=Counter)

    def reset(self) -> None:
        super().reset()
        self.page_tokens.clear()
        self.invalid.clear()
        self.data_access_expires.clear()
        self.scopes.clear()

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.post(f"/{GRAPH}")
        async def batch(q: Annotated[dict[str, str], Depends(form_fields)]) -> Any:
            if q.get("access_token") != f"{META_APP_ID}|{META_APP_SECRET}":
                return _graph_error("Invalid OAuth access token signature.", 190)
            assert q.get("include_headers") == "false"
            answers = []
            for operation in json.loads(q["batch"]):
                path, _, query = operation["relative_url"].partition("?")
                assert (operation["method"], path) == ("GET", "debug_token")
                token = dict(parse_qsl(query))["input_token"]
                self.debugged[token] += 1
                answers.append({"code": 200, "body": json.dumps({"data": self._debug(token)})})
            return answers

        @app.get(f"/{GRAPH}/dialog/oauth")
        async def dialog(
            client_id: str, redirect_uri: str, state: str, scope: str, response_type: str = "code"
        ) -> Any:
            assert client_id == META_APP_ID
            assert response_type == "code"
            assert "pages_show_list" in scope.split(",")
            return _consent(self.grants, self.deny, redirect_uri, state)

        @app.post(f"/{GRAPH}/oauth/access_token")
        async def access_token(q: Annotated[dict[str, str], Depends(form_fields)]) -> Any:
            if q.get("client_id") != META_APP_ID or q.get("client_secret") != META_APP_SECRET:
                return _graph_error("Error validating client secret.", 1)
            if q.get("grant_type") == "fb_exchange_token":
                if q.get("fb_exchange_token") not in self.tokens:
                    return _graph_error("Invalid OAuth access token.", 190)
                token = SECRETS.issue("EAA-long")
                self.long_lived.add(token)
                return {"access_token": token, "token_type": "bearer", "expires_in": 5184000}
            if self.token_error or self.spend(q.get("code", ""), q.get("redirect_uri", "")) is None:
                return _graph_error("This authorization code has been used.", 100)
            token = SECRETS.issue("EAA-short")
            self.tokens.add(token)
            return {"access_token": token, "token_type": "bearer", "expires_in": 5183}

        @app.get(f"/{GRAPH}/me/permissions")
        async def permissions(authorization: str = Header()) -> Any:
            if authorization.removeprefix("Bearer ") not in self.long_lived:
                return _graph_error("Invalid OAuth access token.", 190, status=401)
            return {
                "data": [{"permission": p, "status": "granted"} for p in GRANTED]
                + [{"permission": "instagram_content_publish", "status": "declined"}]
            }

        @app.get(f"/{GRAPH}/me/accounts")
        async def accounts(
            request: Request, after: str | None = None, authorization: str = Header()
        ) -> Any:
            if authorization.removeprefix("Bearer ") not in self.long_lived:
                return _graph_error("Invalid OAuth access token.", 190, status=401)
            assert "instagram_business_account" in request.query_params["fields"]
            pages = [
                {
                    "id": "1001",
                    "name": "Brand Cafe",
                    "access_token": self._page_token("1001"),
                    "instagram_business_account": {
                        "id": "17841400000000001",
                        "username": "brandcafe",
                        "name": "Brand Cafe",
                    },
                },
                {"id": "1002", "name": "Brand Jobs", "access_token": self._page_token("1002")},
            ]
            index = 1 if after == "cursor-1" else 0
            body: dict[str, Any] = {
                "data": [pages[index]],
                "paging": {
                    "cursors": {"before": f"cursor-{index}", "after": f"cursor-{index + 1}"}
                },
            }
            if index == 0:
                # As Graph does: the next page's URL, token included.
                body["paging"]["next"] = f"{self.url}/{GRAPH}/me/accounts?" + urlencode(
                    {
                        "access_token": authorization.removeprefix("Bearer "),
                        "fields": request.query_params["fields"],
                        "limit": "1",
                        "after": "cursor-1",
                    }
                )
            return body

        return app

    def _page_token(self, page_id: str) -> str:
        # A Page token obtained with a long-lived user token never expires: the same each time.
        if page_id not in self.page_tokens:
            self.page_tokens[page_id] = SECRETS.issue(f"EAA-page-{page_id}")
            self.page_of[self.page_tokens[page_id]] = page_id
        return self.page_tokens[page_id]

    def _debug(self, token: str) -> dict[str, Any]:
        now = int(time.time())
        data: dict[str, Any] = {
            "app_id": META_APP_ID,
            "type": "PAGE",
            "application": "Beacon",
            "data_access_expires_at": self.data_access_expires.get(token, now + 90 * 86400),
            "expires_at": 0,
            "is_valid": True,
            "issued_at": now - 3600,
            "profile_id": self.page_of.get(token, ""),
            "scopes": self.scopes.get(token, GRANTED),
            "user_id": "10157000000000001",
        }
        if token not in self.page_of or token in self.invalid:
            data |= {
                "is_valid": False,
                "scopes": [],
                "error": {
                    "code": 190,
                    "message": "Error validating access token: the session has been "
                    "invalidated because the user changed their password.",
                    "subcode": self.invalid.get(token, 467),
                },
            }
        return data


def _graph_error(message: str, code: int, *, status: int = 400) -> JSONResponse:
    return JSONResponse(
        {
            "error": {
                "message": message,
                "type": "OAuthException",
                "code": code,
                "fbtrace_id": "AbCdEf",
            }
        },
        status_code=status,
    )


@dataclass
class FakeX(Fake):
    """X's OAuth 2.0: PKCE S256 required, a confidential client authenticating with Basic,
    two-hour access tokens, refresh tokens that rotate (each works once)."""

    omit_refresh: bool = False
    refresh_tokens: set[str] = field(default_factory=set)
    refreshes: int = 0

    def reset(self) -> None:
        super().reset()
        self.omit_refresh = False

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.get("/i/oauth2/authorize")
        async def authorize(
            response_type: str,
            client_id: str,
            redirect_uri: str,
            scope: str,
            state: str,
            code_challenge: str,
            code_challenge_method: str,
        ) -> Any:
            assert client_id == X_CLIENT_ID
            assert response_type == "code"
            assert code_challenge_method == "S256"
            assert "offline.access" in scope.split(" ")
            return _consent(self.grants, self.deny, redirect_uri, state, challenge=code_challenge)

        @app.post("/2/oauth2/token")
        async def token(
            form: Annotated[dict[str, str], Depends(form_fields)],
            authorization: str | None = Header(default=None),
        ) -> Any:
            grant_type, code, redirect_uri = (
                form["grant_type"],
                form.get("code"),
                form.get("redirect_uri"),
            )
            code_verifier, refresh_token = form.get("code_verifier"), form.get("refresh_token")
            expected = base64.b64encode(f"{X_CLIENT_ID}:{X_CLIENT_SECRET}".encode()).decode()
            if authorization != f"Basic {expected}":
                return JSONResponse(
                    {
                        "error": "unauthorized_client",
                        "error_description": "Missing valid authorization header",
                    },
                    status_code=401,
                )
            if self.token_error:
                return JSONResponse(
                    {
                        "error": self.token_error,
                        "error_description": "Value passed for the token was invalid.",
                    },
                    status_code=400,
                )
            if grant_type == "refresh_token":
                if refresh_token not in self.refresh_tokens:
                    return JSONResponse(
                        {
                            "error": "invalid_request",
                            "error_description": "Value passed for the token was invalid.",
                        },
                        status_code=400,
                    )
                self.refresh_tokens.discard(refresh_token)
                self.refreshes += 1
                return self._tokens()
            grant = self.spend(code or "", redirect_uri or "")
            if grant is None or _s256(code_verifier or "") != grant["challenge"]:
                return JSONResponse(
                    {
                        "error": "invalid_request",
                        "error_description": "Value passed for the authorization code was invalid.",
                    },
                    status_code=400,
                )
            return self._tokens()

        @app.post("/2/oauth2/revoke")
        async def revoke(
            form: Annotated[dict[str, str], Depends(form_fields)],
            authorization: str | None = Header(default=None),
        ) -> Any:
            expected = base64.b64encode(f"{X_CLIENT_ID}:{X_CLIENT_SECRET}".encode()).decode()
            if authorization != f"Basic {expected}":
                return JSONResponse({"error": "unauthorized_client"}, status_code=401)
            assert form["token_type_hint"] in ("access_token", "refresh_token")
            failed = self.revoke(form["token"])
            self.refresh_tokens.discard(form["token"])
            return failed or {"revoked": True}

        @app.get("/2/users/me")
        async def me(authorization: str = Header()) -> Any:
            if authorization.removeprefix("Bearer ") not in self.tokens:
                return JSONResponse(
                    {
                        "title": "Unauthorized",
                        "type": "about:blank",
                        "status": 401,
                        "detail": "Unauthorized",
                    },
                    status_code=401,
                )
            return {"data": {"id": "2244994945", "name": "Brand", "username": "brand"}}

        return app

    def _tokens(self) -> dict[str, Any]:
        access = SECRETS.issue("x-access")
        self.tokens.add(access)
        body: dict[str, Any] = {
            "token_type": "bearer",
            "expires_in": 7200,
            "access_token": access,
            "scope": " ".join(
                (
                    "tweet.read",
                    "tweet.write",
                    "tweet.moderate.write",
                    "users.read",
                    "offline.access",
                )
            ),
        }
        if not self.omit_refresh:
            body["refresh_token"] = SECRETS.issue("x-refresh")
            self.refresh_tokens.add(body["refresh_token"])
        return body


@dataclass
class FakeLinkedIn(Fake):
    """LinkedIn: the authorization page, the token endpoint (client secret in the form; refresh
    tokens that are not rotated), OpenID userinfo and the versioned REST organizationAcls and
    organizations."""

    refresh_tokens: set[str] = field(default_factory=set)
    refreshes: int = 0

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.get("/oauth/v2/authorization")
        async def authorization(
            response_type: str, client_id: str, redirect_uri: str, state: str, scope: str
        ) -> Any:
            assert client_id == LINKEDIN_CLIENT_ID
            assert response_type == "code"
            assert "r_organization_admin" in scope.split(" ")
            return _consent(self.grants, self.deny, redirect_uri, state)

        @app.post("/oauth/v2/accessToken")
        async def access_token(
            form: Annotated[dict[str, str], Depends(form_fields)],
        ) -> Any:
            code, redirect_uri = form.get("code"), form.get("redirect_uri")
            client_id, client_secret = form.get("client_id"), form.get("client_secret")
            if client_id != LINKEDIN_CLIENT_ID or client_secret != LINKEDIN_CLIENT_SECRET:
                return JSONResponse(
                    {
                        "error": "invalid_client",
                        "error_description": "Client authentication failed",
                    },
                    status_code=401,
                )
            if form.get("grant_type") == "refresh_token":
                if self.token_error or form.get("refresh_token") not in self.refresh_tokens:
                    return JSONResponse(
                        {
                            "error": self.token_error or "invalid_request",
                            "error_description": "The provided refresh token is invalid",
                        },
                        status_code=400,
                    )
                self.refreshes += 1
                access = SECRETS.issue("li-access")
                self.tokens.add(access)
                # The same refresh token, its lifetime counting down.
                return {
                    "access_token": access,
                    "expires_in": 5184000,
                    "refresh_token": form["refresh_token"],
                    "refresh_token_expires_in": 31000000,
                }
            if self.token_error or self.spend(code or "", redirect_uri or "") is None:
                return JSONResponse(
                    {
                        "error": self.token_error or "invalid_request",
                        "error_description": "Unable to retrieve access token: "
                        "appid/redirect uri/code verifier does not match "
                        "authorization code. Or authorization code expired.",
                    },
                    status_code=400,
                )
            access = SECRETS.issue("li-access")
            self.tokens.add(access)
            refresh = SECRETS.issue("li-refresh")
            self.refresh_tokens.add(refresh)
            return {
                "access_token": access,
                "expires_in": 5184000,
                "refresh_token": refresh,
                "refresh_token_expires_in": 31536000,
                "scope": "email,openid,profile,r_organization_admin,w_member_social,"
                "w_organization_social",
                "token_type": "Bearer",
            }

        @app.post("/oauth/v2/revoke")
        async def revoke(form: Annotated[dict[str, str], Depends(form_fields)]) -> Any:
            if (form.get("client_id"), form.get("client_secret")) != (
                LINKEDIN_CLIENT_ID,
                LINKEDIN_CLIENT_SECRET,
            ):
                return JSONResponse({"error": "invalid_client"}, status_code=401)
            return self.revoke(form["token"]) or Response(status_code=200)

        def authorised(authorization: str, version: str | None = None) -> bool:
            return authorization.removeprefix("Bearer ") in self.tokens

        @app.get("/v2/userinfo")
        async def userinfo(authorization: str = Header()) -> Any:
            if not authorised(authorization):
                return JSONResponse(
                    {"status": 401, "serviceErrorCode": 65600, "code": "INVALID_ACCESS_TOKEN"},
                    status_code=401,
                )
            return {
                "sub": "782bbtaQ",
                "name": "Ada Lovelace",
                "given_name": "Ada",
                "family_name": "Lovelace",
                "email": "ada@brand.example",
                "email_verified": True,
                "locale": {"country": "GB", "language": "en"},
            }

        @app.get("/rest/organizationAcls")
        async def acls(
            q: str,
            role: str,
            state: str,
            authorization: str = Header(),
            linkedin_version: str = Header(),
            x_restli_protocol_version: str = Header(),
        ) -> Any:
            assert (q, role, state) == ("roleAssignee", "ADMINISTRATOR", "APPROVED")
            assert len(linkedin_version) == 6
            assert x_restli_protocol_version == "2.0.0"
            if not authorised(authorization):
                return JSONResponse({"status": 401}, status_code=401)
            return {
                "paging": {"count": 10, "start": 0, "links": []},
                "elements": [
                    {
                        "roleAssignee": "urn:li:person:782bbtaQ",
                        "state": "APPROVED",
                        "role": "ADMINISTRATOR",
                        "organization": "urn:li:organization:2414183",
                    }
                ],
            }

        @app.get("/rest/organizations/{org_id}")
        async def organization(org_id: str, authorization: str = Header()) -> Any:
            if not authorised(authorization):
                return JSONResponse({"status": 401}, status_code=401)
            return {"id": int(org_id), "localizedName": "Brand Inc.", "vanityName": "brand-inc"}

        return app


@dataclass
class FakeMastodon(Fake):
    """A Mastodon instance: app registration (counted), RFC 8414 metadata listing S256 unless
    `pkce` is off, the OAuth code flow, and verify_credentials."""

    apps: dict[str, dict[str, str]] = field(default_factory=dict)
    registrations: int = 0
    pkce: bool = True

    def reset(self) -> None:
        super().reset()
        self.pkce = True

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.post("/api/v1/apps")
        async def apps(
            form: Annotated[dict[str, str], Depends(form_fields)],
        ) -> Any:
            client_name, redirect_uris = form["client_name"], form["redirect_uris"]
            scopes, website = form.get("scopes", "read"), form.get("website")
            self.registrations += 1
            client_id, secret = _token("masto-client"), SECRETS.issue("masto-secret")
            self.apps[client_id] = {"secret": secret, "redirect_uri": redirect_uris}
            return {
                "id": str(self.registrations),
                "name": client_name,
                "website": website,
                "scopes": scopes.split(" "),
                "redirect_uri": redirect_uris,
                "redirect_uris": [redirect_uris],
                "client_id": client_id,
                "client_secret": secret,
                "client_secret_expires_at": 0,
            }

        @app.get("/.well-known/oauth-authorization-server")
        async def metadata() -> Any:
            if not self.pkce:
                return JSONResponse({"error": "Not Found"}, status_code=404)
            return {
                "issuer": self.url,
                "authorization_endpoint": f"{self.url}/oauth/authorize",
                "token_endpoint": f"{self.url}/oauth/token",
                "code_challenge_methods_supported": ["S256"],
                "grant_types_supported": ["authorization_code", "client_credentials"],
            }

        @app.get("/oauth/authorize")
        async def authorize(
            response_type: str,
            client_id: str,
            redirect_uri: str,
            scope: str,
            state: str,
            code_challenge: str | None = None,
            code_challenge_method: str | None = None,
        ) -> Any:
            assert client_id in self.apps
            assert redirect_uri == self.apps[client_id]["redirect_uri"]
            return _consent(
                self.grants,
                self.deny,
                redirect_uri,
                state,
                client_id=client_id,
                challenge=code_challenge,
            )

        @app.post("/oauth/token")
        async def token(
            form: Annotated[dict[str, str], Depends(form_fields)],
        ) -> Any:
            code, redirect_uri = form.get("code", ""), form.get("redirect_uri", "")
            client_id, client_secret = form.get("client_id", ""), form.get("client_secret")
            code_verifier = form.get("code_verifier")
            app_ = self.apps.get(client_id)
            if app_ is None or app_["secret"] != client_secret:
                return JSONResponse(
                    {
                        "error": "invalid_client",
                        "error_description": "Client authentication failed due to "
                        "unknown client, no client authentication included, or "
                        "unsupported authentication method.",
                    },
                    status_code=401,
                )
            grant = self.spend(code, redirect_uri)
            if (
                self.token_error
                or grant is None
                or grant["client_id"] != client_id
                or (grant["challenge"] and _s256(code_verifier or "") != grant["challenge"])
            ):
                return JSONResponse(
                    {
                        "error": "invalid_grant",
                        "error_description": "The provided authorization grant is "
                        "invalid, expired, revoked, does not match the redirection "
                        "URI used in the authorization request, or was issued to "
                        "another client.",
                    },
                    status_code=400,
                )
            access = SECRETS.issue("masto-access")
            self.tokens.add(access)
            return {
                "access_token": access,
                "token_type": "Bearer",
                "scope": "read write profile",
                "created_at": int(time.time()),
            }

        @app.post("/oauth/revoke")
        async def revoke(form: Annotated[dict[str, str], Depends(form_fields)]) -> Any:
            app_ = self.apps.get(form.get("client_id", ""))
            if app_ is None or app_["secret"] != form.get("client_secret"):
                return JSONResponse({"error": "invalid_client"}, status_code=401)
            return self.revoke(form["token"]) or {}

        @app.get("/api/v1/accounts/verify_credentials")
        async def verify(authorization: str = Header()) -> Any:
            if authorization.removeprefix("Bearer ") not in self.tokens:
                return JSONResponse({"error": "The access token is invalid"}, status_code=401)
            return {
                "id": "14715",
                "username": "brand",
                "acct": "brand",
                "display_name": "Brand",
                "url": f"{self.url}/@brand",
            }

        return app


@dataclass
class FakeBluesky(Fake):
    """A PDS: createSession with an app password, refreshSession with the refresh JWT."""

    passwords: dict[str, str] = field(
        default_factory=lambda: {"brand.bsky.social": "abcd-efgh-ijkl-mnop"}
    )

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.post("/xrpc/com.atproto.server.createSession")
        async def create_session(body: dict[str, str]) -> Any:
            if self.passwords.get(body.get("identifier", "")) != body.get("password"):
                return JSONResponse(
                    {
                        "error": "AuthenticationRequired",
                        "message": "Invalid identifier or password",
                    },
                    status_code=401,
                )
            return {
                "did": "did:plc:z72i7hdynmk6r22z27h6tvur",
                "handle": body["identifier"],
                "accessJwt": SECRETS.issue("bsky-access"),
                "refreshJwt": SECRETS.issue("bsky-refresh"),
                "active": True,
            }

        return app


@dataclass
class FakeNetworks:
    """Every fake, each served at its own URL."""

    meta: FakeMeta
    x: FakeX
    linkedin: FakeLinkedIn
    mastodon: FakeMastodon
    bluesky: FakeBluesky

    def reset(self) -> None:
        for fake in (self.meta, self.x, self.linkedin, self.mastodon, self.bluesky):
            fake.reset()

    def settings(self) -> dict[str, object]:
        """The workspace's settings pointing at the fakes, with the deployment's apps."""
        return {
            "meta_app_id": META_APP_ID,
            "meta_app_secret": META_APP_SECRET,
            "meta_auth_url": self.meta.url,
            "meta_graph_url": self.meta.url,
            "meta_graph_version": GRAPH,
            "x_client_id": X_CLIENT_ID,
            "x_client_secret": X_CLIENT_SECRET,
            "x_auth_url": self.x.url,
            "x_api_url": self.x.url,
            "linkedin_client_id": LINKEDIN_CLIENT_ID,
            "linkedin_client_secret": LINKEDIN_CLIENT_SECRET,
            "linkedin_auth_url": self.linkedin.url,
            "linkedin_api_url": self.linkedin.url,
            "bluesky_service": self.bluesky.url,
        }


@contextlib.contextmanager
def fake_networks() -> Iterator[FakeNetworks]:
    """All five fakes, served until the block ends."""
    fakes = FakeNetworks(FakeMeta(), FakeX(), FakeLinkedIn(), FakeMastodon(), FakeBluesky())
    with contextlib.ExitStack() as stack:
        for fake in (fakes.meta, fakes.x, fakes.linkedin, fakes.mastodon, fakes.bluesky):
            fake.url = stack.enter_context(serving(fake.app()))
        yield fakes
