"""Meta's Graph API, as Facebook Pages and Instagram publish through it: the rate-limit book is
asked before each call and told what each answer's usage headers say. Graph's protocol (its
error codes, its usage headers) is `beacon_shared.networks.graph`; this module keeps the
publisher's policy: which window a refusal spends, and for how long.

Usage headers: https://developers.facebook.com/docs/graph-api/overview/rate-limiting
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

import httpx

from beacon_shared.contracts.common import Network
from beacon_shared.network_calls import (
    NetworkCallError,
    OutcomeUnknown,
    Refused,
    RetryLater,
    json_object,
    retry_after,
)
from beacon_shared.networks import graph
from beacon_shared.networks.graph import parse_time, string_id
from publisher.connectors.base import Account, MediaFile
from publisher.connectors.rate_limits import RateLimitBook, account_scope, app_scope

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


class GraphPublishing:
    """Calls to one network on Graph as a connected account, within the rate-limit book."""

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
        self._api = graph.GraphApi(
            http, network=network, base_url=base_url, version=version, clock=clock
        )
        self._limits = limits
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
        self._limits.ensure_free(self.network, (account_scope(account.id), APP), now=now)
        try:
            response = await self._api.request(method, path, token=token, data=data, params=params)
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
            next_path, query = (following, None) if self._api.owns(following) else (None, None)
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
        """What the answer means; a rate limit's refusal spends its window (the app's for the
        app's limit, else the account's) until Graph says access returns, else THROTTLE_WAIT."""
        try:
            graph.raise_for_answer(response, network=self.network, creates=publishes, now=now)
        except graph.Throttled as exc:
            scope = APP if exc.app_wide else account_scope(account.id)
            until = self._exhaust(scope, exc.after or now + THROTTLE_WAIT, now)
            raise RetryLater(exc.reason, kind="rate_limited", after=until) from exc

    def _record_usage(self, response: httpx.Response, account: Account, now: datetime) -> None:
        """Spend the windows the usage headers say are spent: the app's from X-App-Usage, the
        account's (its Page or Instagram account) from X-Business-Use-Case-Usage."""
        app_usage = graph.app_usage(response)
        if app_usage is not None and graph.usage_percent(app_usage) >= USAGE_LIMIT:
            until = retry_after(response, now=now) or now + THROTTLE_WAIT
            self._exhaust(APP, until, now)
        entries = graph.buc_entries(response)
        if any(graph.usage_percent(e) >= USAGE_LIMIT for e in entries) or graph.regain_minutes(
            entries
        ):
            until = graph.regain_access(response, now) or now + THROTTLE_WAIT
            self._exhaust(account_scope(account.id), until, now)

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


def _list(value: object) -> Sequence[object]:
    return value if isinstance(value, list) else ()
