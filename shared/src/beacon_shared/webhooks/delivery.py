"""One signed webhook POST, reported as an `Attempt`; it never raises on network failures.

Persistence, endpoint lookup and the retry loop belong to the caller: it stores the `Attempt`,
and for `Outcome.RETRY` asks `schedule.next_attempt_at` when to try again.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TypeAlias

import httpx

from beacon_shared.egress import AddressNotPublic, SchemeRefused
from beacon_shared.webhooks import signing
from beacon_shared.webhooks.schedule import Outcome, classify, parse_retry_after

JsonValue: TypeAlias = (
    str | int | float | bool | Sequence["JsonValue"] | Mapping[str, "JsonValue"] | None
)

# The spec recommends 15 to 30 s so that receivers have time to process and acknowledge.
DEFAULT_TIMEOUT_SECONDS = 15.0
EXCERPT_BYTES = 1024
USER_AGENT = "Beacon-Webhooks/1"


@dataclass(frozen=True, slots=True)
class Attempt:
    """The record of one delivery attempt."""

    msg_id: str
    url: str
    attempted_at: datetime
    outcome: Outcome
    status_code: int | None
    duration_ms: int
    response_excerpt: str
    retry_after: timedelta | None = None
    error: str | None = None


def _iso_utc(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def envelope(event_type: str, payload: Mapping[str, JsonValue], *, occurred_at: datetime) -> bytes:
    """Serialise the spec's recommended `{"type", "timestamp", "data"}` body, minified."""
    if occurred_at.tzinfo is None:
        raise ValueError("occurred_at must be timezone-aware")
    document = {"type": event_type, "timestamp": _iso_utc(occurred_at), "data": payload}
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode()


def _excerpt(raw: bytes) -> str:
    # Dropping undecodable bytes keeps the excerpt's UTF-8 size within EXCERPT_BYTES.
    return raw[:EXCERPT_BYTES].decode("utf-8", errors="ignore")


async def _post(
    client: httpx.AsyncClient, url: str, body: bytes, sent_headers: dict[str, str], timeout: float
) -> tuple[httpx.Response, bytes]:
    # httpx's timeouts apply per read; asyncio.timeout also bounds a receiver that drips bytes.
    async with asyncio.timeout(timeout):
        request = client.build_request(
            "POST", url, content=body, headers=sent_headers, timeout=httpx.Timeout(timeout)
        )
        response = await client.send(request, stream=True, follow_redirects=False)
        try:
            head = b""
            async for chunk in response.aiter_bytes():
                head += chunk
                if len(head) >= EXCERPT_BYTES:
                    break
        finally:
            await response.aclose()
    return response, head


async def deliver(
    client: httpx.AsyncClient,
    *,
    url: str,
    secret: str | Sequence[str],
    msg_id: str,
    event_type: str,
    payload: Mapping[str, JsonValue],
    now: datetime,
    occurred_at: datetime | None = None,
    timeout: float = DEFAULT_TIMEOUT_SECONDS,
    clock: Callable[[], float] = time.perf_counter,
) -> Attempt:
    """Sign and POST one webhook; network errors and timeouts become `Outcome.RETRY`.

    `now` is the attempt time (`webhook-timestamp`); `occurred_at` is the event time in the body
    and defaults to `now`. Callers retrying a message should pass the same `occurred_at` and
    `msg_id` every time, so that the receiver sees one event and can deduplicate on the id.
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    body = envelope(event_type, payload, occurred_at=occurred_at or now)
    sent_headers = {
        "content-type": "application/json",
        "user-agent": USER_AGENT,
        **signing.headers(secret, msg_id, int(now.timestamp()), body),
    }
    started = clock()

    def elapsed_ms() -> int:
        return max(0, round((clock() - started) * 1000))

    try:
        response, head = await _post(client, url, body, sent_headers, timeout)
    except (httpx.InvalidURL, httpx.UnsupportedProtocol, SchemeRefused, AddressNotPublic) as exc:
        # A bad endpoint URL will not heal by waiting; the endpoint owner must fix it.
        return _no_response(msg_id, url, now, Outcome.FAILED, elapsed_ms(), exc)
    except (httpx.HTTPError, TimeoutError) as exc:
        return _no_response(msg_id, url, now, Outcome.RETRY, elapsed_ms(), exc)
    outcome = classify(response.status_code)
    retry_after = (
        parse_retry_after(response.headers.get("retry-after"), now=now)
        if outcome is Outcome.RETRY
        else None
    )
    return Attempt(
        msg_id=msg_id,
        url=url,
        attempted_at=now,
        outcome=outcome,
        status_code=response.status_code,
        duration_ms=elapsed_ms(),
        response_excerpt=_excerpt(head),
        retry_after=retry_after,
    )


def _no_response(
    msg_id: str, url: str, now: datetime, outcome: Outcome, duration_ms: int, exc: Exception
) -> Attempt:
    detail = str(exc)
    error = f"{type(exc).__name__}: {detail}" if detail else type(exc).__name__
    return Attempt(
        msg_id=msg_id,
        url=url,
        attempted_at=now,
        outcome=outcome,
        status_code=None,
        duration_ms=duration_ms,
        response_excerpt="",
        error=error[:EXCERPT_BYTES],
    )
