"""Bluesky (atproto) over XRPC: an account's app-password session, signed in once and refreshed
when it expires, the rate-limit headers, and how an error answer maps onto the shared failures.

Sessions: https://docs.bsky.app/docs/api/com-atproto-server-create-session and
https://docs.bsky.app/docs/api/com-atproto-server-refresh-session
Errors: https://atproto.com/specs/xrpc#error-responses
Rate limits: https://docs.bsky.app/docs/advanced-guides/rate-limits
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

import httpx

from beacon_shared.contracts.common import Network
from beacon_shared.network_calls import (
    CredentialsRefused,
    OutcomeUnknown,
    RetryLater,
    for_status,
    json_object,
    required,
    send,
)
from beacon_shared.rate_limit_headers import LimitHeaders, ResetFormat

DEFAULT_SERVICE = "https://bsky.social"
# Counted per family of calls; the reset is in epoch seconds.
REMAINING_HEADER = "ratelimit-remaining"
RESET_HEADER = "ratelimit-reset"
LIMITS = LimitHeaders(REMAINING_HEADER, RESET_HEADER, ResetFormat.epoch_seconds)
# What a PDS answers (400, or 401) to a call on an access token that is no longer good.
SESSION_ERRORS = frozenset({"ExpiredToken", "InvalidToken"})
CREATE_SESSION = "com.atproto.server.createSession"
REFRESH_SESSION = "com.atproto.server.refreshSession"


def xrpc_url(service: str, nsid: str) -> str:
    """The URL of the XRPC method `nsid` (e.g. `app.bsky.feed.getAuthorFeed`) on `service`."""
    return f"{service.rstrip('/')}/xrpc/{nsid}"


def xrpc_error(response: httpx.Response) -> str | None:
    """The error name an XRPC error answer gives (`ExpiredToken`, `ActorNotFound`, ...)."""
    error = json_object(response).get("error")
    return error if isinstance(error, str) and error else None


def detail(response: httpx.Response) -> str | None:
    """An error answer's name and message."""
    body = json_object(response)
    said = " ".join(str(body[k]) for k in ("error", "message") if body.get(k))
    return said[:300] or None


def session_expired(response: httpx.Response) -> bool:
    """Whether the answer refuses the access token itself (renew the session and ask again)."""
    return response.status_code == 401 or (
        response.status_code == 400 and xrpc_error(response) in SESSION_ERRORS
    )


def raise_for_answer(response: httpx.Response, *, creates: bool, now: datetime) -> None:
    """Raise what a non-2xx XRPC answer means; a 429 waits for the family's reset.

    `creates` marks a request that makes a record: a 504 leaves its outcome unknown.
    """
    if response.is_success:
        return
    for_status(
        response,
        network=Network.bluesky.value,
        creates=creates,
        now=now,
        limits=LIMITS,
        detail=detail(response),
    )


@dataclass(frozen=True)
class Login:
    """Who signs in where: the account's PDS (or entryway), its handle or DID, its app password."""

    service: str
    identifier: str
    app_password: str = field(repr=False)

    @classmethod
    def of(cls, credentials: Mapping[str, str], *, service: str | None = None) -> Login:
        """From stored credentials {"identifier", "app_password", optionally "service"}; an
        explicit `service` (the account's PDS) wins over theirs."""
        identifier, password = required(credentials, "identifier", "app_password")
        where = service or credentials.get("service") or DEFAULT_SERVICE
        return cls(where.rstrip("/"), identifier, password)

    def xrpc(self, nsid: str) -> str:
        """The URL of the XRPC method `nsid` on the account's service."""
        return xrpc_url(self.service, nsid)


@dataclass(frozen=True)
class Session:
    """An access token (minutes), the refresh token that renews it (months), the account's DID."""

    access_jwt: str = field(repr=False)
    refresh_jwt: str | None = field(repr=False)
    did: str

    def headers(self) -> dict[str, str]:
        """What authorizes a call on this session."""
        return {"Authorization": f"Bearer {self.access_jwt}"}


class SessionSend(Protocol):
    """Sends one session call (createSession, refreshSession) and returns the answer as it came.
    A caller that keeps a rate-limit book passes its own; it may raise a NetworkCallError."""

    def __call__(
        self, method: str, url: str, *, headers: Mapping[str, str], json: Mapping[str, Any] | None
    ) -> Awaitable[httpx.Response]: ...


def sending_through(
    http: httpx.AsyncClient, clock: Callable[[], datetime] = lambda: datetime.now(UTC)
) -> SessionSend:
    """Session calls straight through `http`: a lost answer is retried (a session call makes
    nothing visible) and a 429 waits for the reset it names."""

    async def session_send(
        method: str, url: str, *, headers: Mapping[str, str], json: Mapping[str, Any] | None
    ) -> httpx.Response:
        try:
            response = await send(http, method, url, headers=headers, json=json)
        except OutcomeUnknown as exc:
            raise RetryLater(f"bluesky session: {exc.reason}", kind="connection") from exc
        if response.status_code == 429:
            raise_for_answer(response, creates=False, now=clock())
        return response

    return session_send


class BlueskySessions:
    """One session per login, shared by every call made with it.

    An access token lives minutes: one the PDS refuses as expired is renewed with the session's
    refresh token (refreshSession) and the call sent once more; only when the refresh token is
    refused too does the account sign in again with its app password (createSession, which
    Bluesky limits far more tightly). Failures are the shared ones: a refused app password is
    CredentialsRefused, a limited or failing session call RetryLater.
    """

    def __init__(self, *, clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self._clock = clock
        self._sessions: dict[Login, Session] = {}
        self._sign_ins: dict[Login, asyncio.Lock] = {}

    async def call(
        self,
        login: Login,
        request: Callable[[Mapping[str, str]], Awaitable[httpx.Response]],
        *,
        send: SessionSend,
    ) -> httpx.Response:
        """`request(auth_headers)`'s answer, sent once more on a renewed session when the first
        was refused as expired (the second answer is returned as it came)."""
        session = await self.session(login, send=send)
        response = await request(session.headers())
        if not session_expired(response):
            return response
        session = await self._renew(login, session, send=send)
        return await request(session.headers())

    async def session(self, login: Login, *, send: SessionSend) -> Session:
        """The login's session, signing in when there is none (one sign-in at a time)."""
        session = self._sessions.get(login)
        if session is not None:
            return session
        async with self._sign_ins.setdefault(login, asyncio.Lock()):
            return self._sessions.get(login) or await self._create(login, send=send)

    async def _renew(self, login: Login, expired: Session, *, send: SessionSend) -> Session:
        """refreshSession with the refresh token; when that is refused too, sign in again."""
        if self._sessions.get(login) not in (expired, None):
            # Another call renewed it meanwhile.
            return self._sessions[login]
        self._sessions.pop(login, None)
        if expired.refresh_jwt is not None:
            response = await send(
                "POST",
                login.xrpc(REFRESH_SESSION),
                headers={"Authorization": f"Bearer {expired.refresh_jwt}"},
                json=None,
            )
            if response.is_success:
                renewed = _session_of(response, REFRESH_SESSION)
                self._sessions[login] = renewed
                return renewed
            if response.status_code >= 500 or response.status_code == 429:
                # The PDS is in trouble, not the refresh token: signing in would not help.
                raise_for_answer(response, creates=False, now=self._clock())
        return await self._create(login, send=send)

    async def _create(self, login: Login, *, send: SessionSend) -> Session:
        """createSession with the app password; refused = the account must be reconnected."""
        response = await send(
            "POST",
            login.xrpc(CREATE_SESSION),
            headers={},
            json={"identifier": login.identifier, "password": login.app_password},
        )
        if response.status_code in (400, 401):
            raise CredentialsRefused(
                f"bluesky refused the app password ({xrpc_error(response) or response.status_code})"
                ": reconnect the account"
            )
        raise_for_answer(response, creates=False, now=self._clock())
        session = _session_of(response, CREATE_SESSION)
        self._sessions[login] = session
        return session


def _session_of(response: httpx.Response, method: str) -> Session:
    body = json_object(response)
    access, refresh, did = body.get("accessJwt"), body.get("refreshJwt"), body.get("did")
    if not isinstance(access, str) or not access or not isinstance(did, str):
        raise RetryLater(f"bluesky answered {method} without its tokens", kind="server_error")
    return Session(access, refresh if isinstance(refresh, str) else None, did)
