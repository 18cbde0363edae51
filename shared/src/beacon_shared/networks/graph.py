"""Meta's Graph API (Facebook Pages and Instagram): the versioned root, the bearer token, how an
error answer maps onto the shared failures, and what the usage headers report.

Error codes: https://developers.facebook.com/docs/graph-api/guides/error-handling
Usage headers: https://developers.facebook.com/docs/graph-api/overview/rate-limiting
Instagram's publishing limit: https://developers.facebook.com/docs/instagram-platform/content-publishing
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeGuard

import httpx
import orjson

from beacon_shared.contracts.common import Network
from beacon_shared.network_calls import (
    CredentialsRefused,
    NotFound,
    OutcomeUnknown,
    Refused,
    RetryLater,
    for_status,
    json_object,
    retry_after,
    send,
)

DEFAULT_BASE_URL = "https://graph.facebook.com"
DEFAULT_VERSION = "v23.0"

EXPIRED_TOKEN_CODES = frozenset({102, 190})
EXPIRED_TOKEN_SUBCODES = frozenset({463, 467})  # the token expired; the token is invalid
APP_THROTTLING_CODE = 4
THROTTLING_CODES = frozenset({APP_THROTTLING_CODE, 17, 32, 613})  # app, user, page, custom
BUC_THROTTLING_CODES = range(80001, 80100)  # Business Use Case limits (Pages, Instagram, ...)
# Instagram's "reached the maximum number of posts allowed by the Content Publishing API".
PUBLISHING_LIMIT_SUBCODE = 2207042
TRANSIENT_CODES = frozenset({1, 2})  # unknown error, service temporarily unavailable
PERMISSION_CODES = frozenset({10, *range(200, 300)})
INVALID_PARAMETER = 100
OBJECT_MISSING_SUBCODE = 33
POLICY_CODE = 368
# The Send API: a message outside the allowed window (code 10), and a person who cannot be
# reached (code 551: blocked the Page, deactivated, or never wrote to it).
OUTSIDE_WINDOW_SUBCODE = 2018278
UNAVAILABLE_RECIPIENT_CODE = 551


@dataclass(frozen=True)
class GraphError:
    """The `error` object of a Graph answer; every field None (or empty) when it has none."""

    code: int | None
    subcode: int | None
    message: str
    transient: bool

    @property
    def throttles(self) -> bool:
        """Whether the code says a rate limit (the app's, a user's, a Page's, a Business Use
        Case's, or Instagram's publishing limit) refused the call."""
        return (
            self.code in THROTTLING_CODES
            or self.code in BUC_THROTTLING_CODES
            or self.subcode == PUBLISHING_LIMIT_SUBCODE
        )


class Throttled(RetryLater):
    """A Graph rate limit refused the call; `app_wide` when it is the app's own limit (shared
    by every account), else the account's (its user, Page or Business Use Case). `after` is
    what the answer says about when access returns, None when it does not say."""

    def __init__(self, reason: str, *, after: datetime | None, app_wide: bool) -> None:
        super().__init__(reason, kind="rate_limited", after=after)
        self.app_wide = app_wide


def error_of(response: httpx.Response) -> GraphError:
    """The answer's Graph error, read leniently (codes that are not integers are ignored)."""
    error = json_object(response).get("error")
    error = error if isinstance(error, dict) else {}
    return GraphError(
        code=_int(error.get("code")),
        subcode=_int(error.get("error_subcode")),
        message=str(error.get("message") or "")[:300],
        transient=error.get("is_transient") is True,
    )


def raise_for_answer(
    response: httpx.Response, *, network: Network, creates: bool, now: datetime
) -> None:
    """Raise what a non-2xx Graph answer means: its body's code says more than the status.

    `creates` marks a request that makes something visible (a post, a comment, a reply): a 504
    leaves its outcome unknown, since Graph may have acted after the gateway gave up.
    """
    if response.is_success:
        return
    status = response.status_code
    error = error_of(response)
    code = error.code
    said = f"{network.value} answered {status}" + (
        f" (code {code}): {error.message}" if code is not None else ""
    )
    if status == 504 and creates:
        raise OutcomeUnknown(f"outcome unknown: {said}")
    if code in EXPIRED_TOKEN_CODES or error.subcode in EXPIRED_TOKEN_SUBCODES:
        raise CredentialsRefused(
            f"{said}; the access token expired or was revoked: reconnect the account"
        )
    if error.throttles or status == 429:
        raise Throttled(
            said, after=regain_access(response, now), app_wide=code == APP_THROTTLING_CODE
        )
    if code in TRANSIENT_CODES or error.transient:
        raise RetryLater(said, kind="server_error", after=retry_after(response, now=now))
    if error.subcode == OUTSIDE_WINDOW_SUBCODE:
        raise Refused(f"{said}; the message is outside Meta's messaging window")
    if code == UNAVAILABLE_RECIPIENT_CODE:
        raise Refused(f"{said}; the person cannot be reached on {network.value}")
    if code in PERMISSION_CODES:
        raise Refused(f"{said}; the token lacks a permission this needs")
    if code == INVALID_PARAMETER and error.subcode == OBJECT_MISSING_SUBCODE:
        raise NotFound(said)
    if code in (INVALID_PARAMETER, POLICY_CODE):
        raise Refused(said)
    for_status(
        response,
        network=network.value,
        creates=creates,
        now=now,
        detail=f"(code {code}) {error.message}" if code is not None else None,
    )


def require_success(response: httpx.Response, *, network: Network) -> None:
    """Edges that change a node answer {"success": true}; false is a refusal."""
    if json_object(response).get("success") is False:
        raise Refused(f"{network.value} answered success=false")


def regain_access(response: httpx.Response, now: datetime) -> datetime | None:
    """When access returns: Retry-After when sent, else the longest
    estimated_time_to_regain_access (minutes) X-Business-Use-Case-Usage reports; None when
    neither says."""
    after = retry_after(response, now=now)
    if after is not None:
        return after
    minutes = regain_minutes(buc_entries(response))
    return now + timedelta(minutes=minutes) if minutes else None


def app_usage(response: httpx.Response) -> Mapping[str, Any] | None:
    """X-App-Usage: the app's {call_count, total_time, total_cputime} percentages."""
    usage = _header_json(response, "x-app-usage")
    return usage if isinstance(usage, dict) else None


def buc_entries(response: httpx.Response) -> list[Mapping[str, Any]]:
    """X-Business-Use-Case-Usage: {business object id: [{type, call_count, ...}, ...]}, flat."""
    usage = _header_json(response, "x-business-use-case-usage")
    if not isinstance(usage, dict):
        return []
    return [
        entry for entries in usage.values() for entry in _list(entries) if isinstance(entry, dict)
    ]


def usage_percent(entry: Mapping[str, Any]) -> float:
    """The highest of the percentages a usage entry reports."""
    values = [entry.get(name) for name in ("call_count", "total_time", "total_cputime")]
    return max((float(v) for v in values if _number(v)), default=0.0)


def regain_minutes(entries: Sequence[Mapping[str, Any]]) -> float:
    """The longest estimated_time_to_regain_access (minutes) of the entries; 0 when none."""
    minutes = [entry.get("estimated_time_to_regain_access") for entry in entries]
    return max((float(m) for m in minutes if _number(m)), default=0.0)


def string_id(value: object) -> str | None:
    """A Graph id (a string, or a number in older answers); None when absent or empty."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, str | int):
        return str(value) or None
    return None


def parse_time(value: object) -> datetime | None:
    """Graph's `2026-11-24T12:00:00+0000`; None when absent or malformed."""
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


class GraphApi:
    """Calls to Graph for one network (Facebook or Instagram) through the client it is given."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        network: Network,
        base_url: str = DEFAULT_BASE_URL,
        version: str = DEFAULT_VERSION,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.network = network
        self.root = f"{base_url.rstrip('/')}/{version.strip('/')}"
        self._http = http
        self._clock = clock

    def url(self, path: str) -> str:
        """`path` below the versioned root; a URL already under it (a `paging.next`) as is."""
        return path if self.owns(path) else f"{self.root}/{path.lstrip('/')}"

    def owns(self, url: object) -> bool:
        """Whether `url` is under this API's root: the only place the token may be sent."""
        return isinstance(url, str) and url.startswith(f"{self.root}/")

    async def request(
        self,
        method: str,
        path: str,
        *,
        token: str,
        data: Mapping[str, str] | None = None,
        params: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        """One request with the token; the answer as it came (see `raise_for_answer`)."""
        return await send(
            self._http,
            method,
            self.url(path),
            data=data,
            params=params,
            headers={"Authorization": f"Bearer {token}"},
        )

    async def call(
        self,
        method: str,
        path: str,
        *,
        token: str,
        creates: bool,
        data: Mapping[str, str] | None = None,
        params: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        """One request whose non-2xx answer is raised as what it means; the answer."""
        response = await self.request(method, path, token=token, data=data, params=params)
        raise_for_answer(response, network=self.network, creates=creates, now=self._clock())
        return response


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _number(value: object) -> TypeGuard[int | float]:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _list(value: object) -> Sequence[object]:
    return value if isinstance(value, list) else ()


def _header_json(response: httpx.Response, name: str) -> object:
    header = response.headers.get(name)
    if not header:
        return None
    try:
        return orjson.loads(header)
    except orjson.JSONDecodeError:
        return None
