"""What every network's OAuth has in common: token answers (RFC 6749 §5.1), errors (§5.2), PKCE
(RFC 7636), revocation (RFC 7009) and the accounts a login grants."""

from __future__ import annotations

import base64
import hashlib
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
from pydantic import SecretStr

from beacon_shared.egress import EgressRefused

# RFC 6749 §5.2 codes that mean the grant itself is gone: asking again will not help.
GRANT_GONE = frozenset({"invalid_grant", "unauthorized_client", "invalid_client"})
# A revocation refused with these has nothing left to revoke: the token is no longer valid.
ALREADY_INVALID = frozenset({"invalid_token", "invalid_grant"})


class OAuthRefused(Exception):
    """The network said no for good: a refused or expired code or grant, a missing token, a denied
    permission. `code` is short and safe to show (never a token); `reason` says more."""

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


class OAuthUnavailable(Exception):
    """The network could not be asked (connection, timeout, 5xx, 429): try again later."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class ClientApp:
    """Beacon's OAuth client at a network: from the deployment's settings, never a tenant's."""

    client_id: str
    client_secret: SecretStr


@dataclass(frozen=True)
class TokenSet:
    """A token endpoint's answer."""

    access_token: str
    refresh_token: str | None = None
    expires_in: int | None = None
    refresh_expires_in: int | None = None
    scopes: tuple[str, ...] = ()

    def access_expires_at(self, now: datetime) -> datetime | None:
        """When the access token expires, if the network said."""
        return now + timedelta(seconds=self.expires_in) if self.expires_in else None

    def refresh_expires_at(self, now: datetime) -> datetime | None:
        """When the refresh token expires, if the network said."""
        return now + timedelta(seconds=self.refresh_expires_in) if self.refresh_expires_in else None


@dataclass(frozen=True)
class GrantedAccount:
    """One account a login lets Beacon act as, with the credentials to do it."""

    kind: str
    external_id: str
    display_name: str | None
    handle: str | None
    credentials: Mapping[str, str]
    scopes: tuple[str, ...] = ()
    access_expires_at: datetime | None = None
    refresh_expires_at: datetime | None = None
    instance_url: str | None = None

    def __repr__(self) -> str:  # never the credentials, in a log or a traceback
        return f"GrantedAccount(kind={self.kind!r}, external_id={self.external_id!r})"


def pkce_pair() -> tuple[str, str]:
    """A PKCE code verifier (43 characters, 256 random bits) and its S256 challenge."""
    verifier = secrets.token_urlsafe(32)
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def scopes_of(value: object, *, separator: str = " ") -> tuple[str, ...]:
    """Scopes from a token answer's `scope` (a separated string or a list)."""
    if isinstance(value, str):
        return tuple(s for s in value.replace(",", " ").split(separator) if s)
    if isinstance(value, list):
        return tuple(str(s) for s in value if s)
    return ()


def _int(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None


def body_of(response: httpx.Response) -> dict[str, Any]:
    """The answer's JSON object, or an empty one."""
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


async def call(
    http: httpx.AsyncClient, method: str, url: str, *, network: str, **kwargs: Any
) -> httpx.Response:
    """One request; what cannot be asked is OAuthUnavailable, what the guard refuses is
    OAuthRefused, a 5xx or 429 is OAuthUnavailable."""
    try:
        response = await http.request(method, url, **kwargs)
    except EgressRefused as exc:
        raise OAuthRefused("egress_refused", f"{network}: refused by the egress guard") from exc
    except httpx.HTTPError as exc:
        raise OAuthUnavailable(f"{network} could not be reached ({type(exc).__name__})") from exc
    if response.status_code == 429 or response.status_code >= 500:
        raise OAuthUnavailable(f"{network} answered {response.status_code}")
    return response


def error_code(body: Mapping[str, Any]) -> str:
    """The error a network named, in RFC 6749's `error` or Graph's `error.type`/`code`."""
    error = body.get("error")
    if isinstance(error, str) and error:
        return _safe(error)
    if isinstance(error, dict):
        if isinstance(error.get("code"), int) and error["code"] == 190:
            return "invalid_grant"  # Graph: the token or code is invalid or expired
        kind = error.get("type") or error.get("code")
        if kind:
            return _safe(str(kind))
    return "refused"


def _safe(value: str) -> str:
    # A network's error code goes into a URL and a problem document: keep it short and plain.
    cleaned = "".join(c for c in value if c.isalnum() or c in "_-.")[:64]
    return cleaned or "refused"


def token_set(response: httpx.Response, *, network: str, need_refresh: bool) -> TokenSet:
    """A token endpoint's answer, or OAuthRefused naming what was wrong."""
    body = body_of(response)
    if not response.is_success:
        code = error_code(body)
        raise OAuthRefused(code, f"{network}'s token endpoint answered {response.status_code}")
    access = body.get("access_token")
    if not isinstance(access, str) or not access:
        raise OAuthRefused("no_access_token", f"{network} answered no access token")
    refresh = body.get("refresh_token")
    if need_refresh and not (isinstance(refresh, str) and refresh):
        raise OAuthRefused(
            "no_refresh_token",
            f"{network} answered no refresh token: the account could not stay connected",
        )
    return TokenSet(
        access_token=access,
        refresh_token=refresh if isinstance(refresh, str) and refresh else None,
        expires_in=_int(body.get("expires_in")),
        refresh_expires_in=_int(body.get("refresh_token_expires_in")),
        scopes=scopes_of(body.get("scope")),
    )


def answer(response: httpx.Response, *, network: str, what: str) -> dict[str, Any]:
    """A successful API answer's JSON object, or OAuthRefused."""
    if response.status_code in (401, 403):
        raise OAuthRefused(
            "access_refused",
            f"{network} refused the new token reading {what} ({response.status_code})",
        )
    if not response.is_success:
        raise OAuthRefused(
            "unexpected_answer", f"{network} answered {response.status_code} reading {what}"
        )
    return body_of(response)


def revoked(response: httpx.Response, *, network: str) -> None:
    """A revocation endpoint's answer: done (2xx, or a token already invalid, RFC 7009 §2.2), or
    OAuthRefused naming what was wrong."""
    if response.is_success:
        return
    code = error_code(body_of(response))
    if code in ALREADY_INVALID:
        return
    raise OAuthRefused(code, f"{network}'s revocation endpoint answered {response.status_code}")
