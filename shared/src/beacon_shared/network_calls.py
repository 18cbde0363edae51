"""Calls to social networks' HTTP APIs: the failures every caller tells apart, and how an answer
or a transport error maps onto them, the same way for every network and every service."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from beacon_shared.egress import EgressRefused
from beacon_shared.rate_limit_headers import LimitHeaders


class NetworkCallError(Exception):
    """A call to a social network that did not (or may not have) done its job; `reason` says why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class RetryLater(NetworkCallError):
    """Not done, and nothing was changed: try again, no earlier than `after` when given."""

    def __init__(self, reason: str, *, kind: str, after: datetime | None = None) -> None:
        super().__init__(reason)
        self.kind = kind  # rate_limited, server_error or connection: the retry metric's label
        self.after = after


class OutcomeUnknown(NetworkCallError):
    """The request went out and no answer came back: it may or may not have been done."""


class CredentialsRefused(NetworkCallError):
    """The token expired or was revoked: nothing works until the account is reconnected."""


class Refused(NetworkCallError):
    """The network answered no for good (permissions, validation, policy)."""


class NotFound(Refused):
    """What the call is about is not there (deleted, or never visible to this account)."""


async def send(http: httpx.AsyncClient, method: str, url: str, **kwargs: Any) -> httpx.Response:
    """One request; transport failures become RetryLater when the request cannot have left,
    OutcomeUnknown when it may have reached the network."""
    try:
        return await http.request(method, url, **kwargs)
    except EgressRefused as exc:
        # The guard refused the address or the answer's size: waiting will not change it.
        raise Refused(f"refused by the egress guard: {exc}") from exc
    except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.ProxyError) as exc:
        raise RetryLater(
            f"could not connect ({type(exc).__name__}); the request was not sent",
            kind="connection",
        ) from exc
    except httpx.TransportError as exc:
        # A read timeout, a reset or a closed connection after the request was written.
        raise OutcomeUnknown(
            f"outcome unknown: {type(exc).__name__} after the request was sent"
        ) from exc


def retry_after(
    response: httpx.Response, *, now: datetime, limits: LimitHeaders | None = None
) -> datetime | None:
    """When a refused request may be sent again: Retry-After (seconds or an HTTP date), else the
    reset of the network's rate-limit headers `limits`; None when neither says."""
    value = response.headers.get("retry-after")
    if value:
        try:
            return now + timedelta(seconds=max(0.0, float(value)))
        except ValueError:
            pass
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            pass
        else:
            return when if when.tzinfo else when.replace(tzinfo=UTC)
    return limits.reset_of(response.headers) if limits is not None else None


def json_object(response: httpx.Response) -> Mapping[str, Any]:
    """The answer's JSON object; anything else is an empty mapping."""
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def for_status(
    response: httpx.Response,
    *,
    network: str,
    creates: bool,
    now: datetime,
    limits: LimitHeaders | None = None,
    detail: str | None = None,
) -> None:
    """Raise what a non-2xx answer means, the same way for every REST network.

    `creates` marks a request that makes something new (a reply, a post): a 504 (the gateway gave up
    waiting for the network's own answer) leaves its outcome unknown, and the caller resends
    it only under an idempotency key the network still remembers. Any other 5xx and 429 are
    retried.
    """
    status = response.status_code
    if response.is_success:
        return
    said = f"{network} answered {status}" + (f": {detail}" if detail else "")
    if status == 429:
        raise RetryLater(
            said,
            kind="rate_limited",
            after=retry_after(response, now=now, limits=limits),
        )
    if status == 504 and creates:
        raise OutcomeUnknown(f"outcome unknown: {said}")
    if status >= 500:
        raise RetryLater(
            said,
            kind="server_error",
            after=retry_after(response, now=now, limits=limits),
        )
    if status == 401:
        raise CredentialsRefused(f"{said}; the token expired or was revoked: reconnect the account")
    if status == 404:
        raise NotFound(said)
    raise Refused(said)


def required(credentials: Mapping[str, str], *names: str) -> list[str]:
    """The credentials' values by name; a missing one is Refused (the account is incomplete)."""
    missing = [name for name in names if not credentials.get(name)]
    if missing:
        raise Refused(f"the account's credentials lack {', '.join(missing)}: reconnect it")
    return [credentials[name] for name in names]
