"""Bluesky with an app password: `com.atproto.server.createSession` on the account's PDS (or
the entryway, bsky.social), and `refreshSession` to keep the session."""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from beacon_shared.networks.bluesky import CREATE_SESSION, REFRESH_SESSION, xrpc_url
from beacon_shared.networks.oauth.base import (
    GrantedAccount,
    OAuthRefused,
    body_of,
    call,
)

NETWORK = "bluesky"


@dataclass(frozen=True)
class Session:
    """An atproto session: the account's DID and handle, and its two JWTs."""

    did: str
    handle: str
    access_jwt: str
    refresh_jwt: str

    def __repr__(self) -> str:
        return f"Session(did={self.did!r}, handle={self.handle!r})"


def _session(response: httpx.Response) -> Session:
    body = body_of(response)
    if not response.is_success:
        error = body.get("error")
        code = error if isinstance(error, str) and error.isalnum() else "refused"
        raise OAuthRefused(code, f"Bluesky answered {response.status_code} ({code})")
    values = [body.get(name) for name in ("did", "handle", "accessJwt", "refreshJwt")]
    if not all(isinstance(v, str) and v for v in values):
        raise OAuthRefused("unexpected_answer", "Bluesky answered an incomplete session")
    return Session(*(str(v) for v in values))


async def create_session(
    http: httpx.AsyncClient, *, service: str, identifier: str, password: str
) -> Session:
    """Sign in with a handle (or DID or email) and an app password."""
    response = await call(
        http,
        "POST",
        xrpc_url(service, CREATE_SESSION),
        network=NETWORK,
        json={"identifier": identifier, "password": password},
    )
    return _session(response)


async def refresh_session(http: httpx.AsyncClient, *, service: str, refresh_jwt: str) -> Session:
    """A new session for the refresh JWT (which is then spent)."""
    response = await call(
        http,
        "POST",
        xrpc_url(service, REFRESH_SESSION),
        network=NETWORK,
        headers={"Authorization": f"Bearer {refresh_jwt}"},
    )
    return _session(response)


async def connect(
    http: httpx.AsyncClient, *, service: str, identifier: str, app_password: str
) -> GrantedAccount:
    """The account an app password opens, with what ingest and the publisher sign in with."""
    session = await create_session(
        http, service=service, identifier=identifier, password=app_password
    )
    return GrantedAccount(
        kind="bluesky",
        external_id=session.did,
        display_name=None,
        handle=session.handle,
        credentials={
            "service": service,
            "identifier": identifier,
            "app_password": app_password,
            "access_jwt": session.access_jwt,
            "refresh_jwt": session.refresh_jwt,
        },
        instance_url=service,
    )
