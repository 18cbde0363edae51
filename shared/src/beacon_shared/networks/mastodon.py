"""Mastodon's REST API on any instance: the bearer token, the Idempotency-Key, the rate-limit
headers, how an error answer maps onto the shared failures, and the order of its ids.

Errors: https://docs.joinmastodon.org/entities/Error/
Rate limits: https://docs.joinmastodon.org/api/rate-limits/
Idempotency: https://docs.joinmastodon.org/methods/statuses/#create
Paging: https://docs.joinmastodon.org/api/guidelines/#pagination
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from beacon_shared.contracts.common import Network
from beacon_shared.network_calls import for_status, json_object, send
from beacon_shared.rate_limit_headers import LimitHeaders, ResetFormat

# Counted per family of calls (statuses, media, everything else); the reset is ISO 8601.
REMAINING_HEADER = "x-ratelimit-remaining"
RESET_HEADER = "x-ratelimit-reset"
LIMITS = LimitHeaders(REMAINING_HEADER, RESET_HEADER, ResetFormat.iso8601)
# A status posted again under the same key within this time returns the first one.
IDEMPOTENCY_KEY_TTL = timedelta(hours=1)


def detail(body: Mapping[str, Any]) -> str | None:
    """The `error` an error answer gives."""
    error = body.get("error")
    return str(error)[:300] if error else None


def raise_for_answer(response: httpx.Response, *, creates: bool, now: datetime) -> None:
    """Raise what a non-2xx Mastodon answer means; a 429 waits for the family's reset.

    `creates` marks a request that makes a status: a 504 leaves its outcome unknown.
    """
    if response.is_success:
        return
    for_status(
        response,
        network=Network.mastodon.value,
        creates=creates,
        now=now,
        limits=LIMITS,
        detail=detail(json_object(response)),
    )


def id_order(entry_id: str) -> tuple[int, str]:
    """The sort key of a Mastodon id: ids are strings that sort by length, then lexically."""
    return len(entry_id), entry_id


class MastodonApi:
    """Calls to one instance's REST API through the client it is given."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        instance_url: str,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.base = instance_url.rstrip("/")
        self._http = http
        self._clock = clock

    def url(self, path: str) -> str:
        """`path` (e.g. `api/v1/statuses`) on the instance."""
        return f"{self.base}/{path.lstrip('/')}"

    async def request(
        self,
        method: str,
        path: str,
        *,
        token: str | None,
        idempotency_key: str | None = None,
        **kwargs: Any,
    ) -> httpx.Response:
        """One request, with the token when there is one (public lists need none) and the
        Idempotency-Key when given; the answer as it came."""
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        if idempotency_key is not None:
            headers["Idempotency-Key"] = idempotency_key
        return await send(self._http, method, self.url(path), headers=headers, **kwargs)

    async def call(
        self,
        method: str,
        path: str,
        *,
        token: str | None,
        creates: bool,
        idempotency_key: str | None = None,
        **kwargs: Any,
    ) -> httpx.Response:
        """One request whose non-2xx answer is raised as what it means; the answer."""
        response = await self.request(
            method, path, token=token, idempotency_key=idempotency_key, **kwargs
        )
        raise_for_answer(response, creates=creates, now=self._clock())
        return response
