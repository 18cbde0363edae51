"""Meta's Graph API, as Facebook Pages and Instagram publish through it: the rate-limit book is
asked before each call and told what each answer's usage headers say, and Graph's error codes
become the failures the scheduler tells apart.

Error codes: https://developers.facebook.com/docs/graph-api/guides/error-handling
Usage headers: https://developers.facebook.com/docs/graph-api/overview/rate-limiting
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import orjson

from beacon_shared.contracts.common import Network
from beacon_shared.network_calls import (
    CredentialsRefused,
    NetworkCallError,
    NotFound,
    OutcomeUnknown,
    Refused,
    RetryLater,
    for_status,
    json_object,
    retry_after,
    send,
)
from publisher.connectors.base import Account, MediaFile
from publisher.connectors.rate_limits import RateLimitBook, account_scope, app_scope

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

# The usage headers report percentages of the limit.
USAGE_LIMIT = 100
# Graph counts platform and Business Use Case calls over a rolling hour. When neither Retry-After
# nor X-Business-Use-Case-Usage says when access returns (X-App-Usage never does), wait a quarter
# of that hour: calls leave the window continuously, and a retry that is still refused sends
# nothing that publishes and only spends the window again.
THROTTLE_WAIT = timedelta(minutes=15)
# Every account publishes through Beacon's one Meta app, so the app's limits are shared.
APP = app_scope("meta")
# Listings follow `paging.next` at most this many pages back.
MAX_PAGES = 5


class GraphApi:
    """Calls to one network on Graph as a connected account, through the shared HTTP client."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        limits: RateLimitBook,
        *,
        network: Network,
        base_url: str,
        version: str,
        clock: Callable[[], datetime],
    ) -> None:
        self.network = network
        self._http = http
        self._limits = limits
        self._root = f"{base_url.rstrip('/')}/{version.strip('/')}"
        self._clock = clock

    def now(self) -> datetime:
        """The connector's current time."""
        return self._clock()

    async def call(
        self,
        account: Account,
        token: str,
        method: str,
        path: str,
        *,
        publishes: bool,
        data: Mapping[str, str] | None = None,
        params: Mapping[str, str] | None = None,
    ) -> Mapping[str, Any]:
        """One call (`path` below the versioned root, or a `paging.next` URL under it); its JSON
        object, or the NetworkCallError the answer means.

        `publishes` marks the call that makes the post (or comment) visible: a lost answer leaves
        its outcome unknown. Lost answers of the others (reads, unpublished uploads, containers)
        are retried, since nothing visible can have come of them.
        """
        now = self._clock()
        blocked = self._limits.blocked_until(
            self.network, (account_scope(account.id), APP), now=now
        )
        if blocked is not None:
            raise RetryLater(
                f"{self.network.value} rate limit is spent until {blocked.isoformat()}; "
                "nothing was sent",
                kind="rate_limited",
                after=blocked,
            )
        url = path if path.startswith(f"{self._root}/") else f"{self._root}/{path}"
        try:
            response = await send(
                self._http,
                method,
                url,
                data=data,
                params=params,
                headers={"Authorization": f"Bearer {token}"},
            )
        except OutcomeUnknown as exc:
            if publishes:
                raise
            raise RetryLater(
                f"{exc.reason}, on a step that publishes nothing", kind="connection"
            ) from exc
        now = self._clock()
        self._record_usage(response, account, now)
        self._check(response, account, publishes=publishes, now=now)
        return json_object(response)

    async def listing(
        self,
        account: Account,
        token: str,
        path: str,
        *,
        params: Mapping[str, str],
        time_field: str,
        since: datetime,
    ) -> list[Mapping[str, Any]]:
        """The `data` items of an edge listed newest first, following `paging.next` until an
        item older than `since` (or MAX_PAGES pages)."""
        items: list[Mapping[str, Any]] = []
        next_path: str | None = path
        query: Mapping[str, str] | None = params
        for _ in range(MAX_PAGES):
            if next_path is None:
                break
            body = await self.call(account, token, "GET", next_path, publishes=False, params=query)
            page = [item for item in _list(body.get("data")) if isinstance(item, dict)]
            items.extend(page)
            oldest = parse_time(page[-1].get(time_field)) if page else None
            if not page or (oldest is not None and oldest < since):
                break
            paging = body.get("paging")
            following = paging.get("next") if isinstance(paging, dict) else None
            # Only a next page on the same API root: the token never goes anywhere else.
            ok = isinstance(following, str) and following.startswith(f"{self._root}/")
            next_path, query = (following, None) if ok else (None, None)
        return items

    async def comment(
        self, account: Account, token: str, object_id: str, message: str
    ) -> tuple[str | None, str | None]:
        """A first comment under a published post: (comment id, None), or (None, why not); a
        failed comment does not fail the post."""
        try:
            body = await self.call(
                account,
                token,
                "POST",
                f"{object_id}/comments",
                publishes=True,
                data={"message": message},
            )
        except NetworkCallError as exc:
            return None, exc.reason
        comment_id = string_id(body.get("id"))
        if comment_id is None:
            return None, f"{self.network.value} answered the comment without an id"
        return comment_id, None

    def exhaust(self, account: Account, until: datetime) -> datetime:
        """Spend the account's window until `until` (or a later reset already known); the reset."""
        return self._exhaust(account_scope(account.id), until, self._clock())

    def _check(
        self, response: httpx.Response, account: Account, *, publishes: bool, now: datetime
    ) -> None:
        """Graph errors say more in their body's code than in the HTTP status."""
        if response.is_success:
            return
        status = response.status_code
        error = json_object(response).get("error")
        error = error if isinstance(error, dict) else {}
        code, subcode = _int(error.get("code")), _int(error.get("error_subcode"))
        message = str(error.get("message") or "")[:300]
        said = f"{self.network.value} answered {status}" + (
            f" (code {code}): {message}" if code is not None else ""
        )
        if status == 504 and publishes:
            # The gateway gave up waiting for Graph, which may have published all the same.
            raise OutcomeUnknown(f"outcome unknown: {said}")
        if code in EXPIRED_TOKEN_CODES or subcode in EXPIRED_TOKEN_SUBCODES:
            raise CredentialsRefused(
                f"{said}; the access token expired or was revoked: reconnect the account"
            )
        if (
            code in THROTTLING_CODES
            or code in BUC_THROTTLING_CODES
            or subcode == PUBLISHING_LIMIT_SUBCODE
            or status == 429
        ):
            scope = APP if code == APP_THROTTLING_CODE else account_scope(account.id)
            until = self._regain_access(response, now) or now + THROTTLE_WAIT
            until = self._exhaust(scope, until, now)
            raise RetryLater(said, kind="rate_limited", after=until)
        if code in TRANSIENT_CODES or error.get("is_transient") is True:
            raise RetryLater(said, kind="server_error", after=retry_after(response, now=now))
        if code in PERMISSION_CODES:
            raise Refused(f"{said}; the token lacks a permission this needs")
        if code == INVALID_PARAMETER and subcode == OBJECT_MISSING_SUBCODE:
            raise NotFound(said)
        if code in (INVALID_PARAMETER, POLICY_CODE):
            raise Refused(said)
        for_status(
            response,
            network=self.network.value,
            creates=publishes,
            now=now,
            detail=f"(code {code}) {message}" if code is not None else None,
        )

    def _record_usage(self, response: httpx.Response, account: Account, now: datetime) -> None:
        """Spend the windows the usage headers say are spent: the app's from X-App-Usage, the
        account's (its Page or Instagram account) from X-Business-Use-Case-Usage."""
        app_usage = _header_json(response, "x-app-usage")
        if isinstance(app_usage, dict) and _usage(app_usage) >= USAGE_LIMIT:
            until = retry_after(response, now=now) or now + THROTTLE_WAIT
            self._exhaust(APP, until, now)
        entries = _buc_entries(response)
        if any(_usage(entry) >= USAGE_LIMIT for entry in entries) or _regain_minutes(entries):
            until = self._regain_access(response, now) or now + THROTTLE_WAIT
            self._exhaust(account_scope(account.id), until, now)

    def _regain_access(self, response: httpx.Response, now: datetime) -> datetime | None:
        """Retry-After when sent, else the longest estimated_time_to_regain_access (minutes)."""
        after = retry_after(response, now=now)
        if after is not None:
            return after
        minutes = _regain_minutes(_buc_entries(response))
        return now + timedelta(minutes=minutes) if minutes else None

    def _exhaust(self, scope: str, until: datetime, now: datetime) -> datetime:
        """Spend a window until `until`, never shortening a later reset already known."""
        known = self._limits.blocked_until(self.network, (scope,), now=now)
        until = max(until, known) if known is not None else until
        self._limits.exhaust(self.network, scope, until=until)
        return until


def media_kind(media: MediaFile) -> str:
    """'image' or 'video' from the content type; anything else is refused."""
    kind = media.content_type.split("/", 1)[0].lower()
    if kind not in ("image", "video"):
        raise Refused(f"media of type {media.content_type} cannot be published")
    return kind


def text_with_link(text: str, link: str | None) -> str:
    """The text, with the link after it when the network has nowhere else to put the link."""
    if not link or link in text:
        return text
    return f"{text}\n\n{link}" if text.strip() else link


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


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


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


def _buc_entries(response: httpx.Response) -> list[Mapping[str, Any]]:
    """X-Business-Use-Case-Usage: {business object id: [{type, call_count, ...}, ...]}."""
    usage = _header_json(response, "x-business-use-case-usage")
    if not isinstance(usage, dict):
        return []
    return [
        entry for entries in usage.values() for entry in _list(entries) if isinstance(entry, dict)
    ]


def _usage(entry: Mapping[str, Any]) -> float:
    """The highest of the percentages a usage entry reports."""
    values = [entry.get(name) for name in ("call_count", "total_time", "total_cputime")]
    return max(
        (float(v) for v in values if isinstance(v, int | float) and not isinstance(v, bool)),
        default=0.0,
    )


def _regain_minutes(entries: Sequence[Mapping[str, Any]]) -> float:
    minutes = [entry.get("estimated_time_to_regain_access") for entry in entries]
    return max(
        (float(m) for m in minutes if isinstance(m, int | float) and not isinstance(m, bool)),
        default=0.0,
    )
