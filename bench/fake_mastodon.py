"""A fake Mastodon instance for the publisher benchmark, with a network's latency.

Serves what `MastodonConnector` publishes and reconciles with, as Mastodon answers it:
- `POST /api/v1/statuses` (form-encoded) creates a status; a repeated `Idempotency-Key` of the
  same account returns the first status instead of creating another (Mastodon keeps a key for an
  hour, longer than a benchmark lasts). Answers carry the statuses family's rate-limit headers
  (300 statuses per account per 3 hours).
- `GET /api/v1/accounts/:id/statuses` lists the account's statuses newest first (`limit` up to 40,
  `max_id`).

Every answer is delayed by a draw from a lognormal distribution, median `FAKE_MASTODON_MEDIAN_MS`
(120 ms) and sigma `FAKE_MASTODON_SIGMA` (0.52, so p90 ~233 ms, p99 ~400 ms). A status is
created halfway through its request's delay, as on a real instance where the request travels,
is handled, and the answer travels back: a client that dies mid-request may have posted.

The token names the account: `Bearer token-<account id>`. Undelayed, for the benchmark:
`GET /bench/statuses` returns every status created, `GET /bench/repeats` every `Idempotency-Key`
sent again, and `GET /bench/delays` the delays drawn. Run it with
`python -m uvicorn bench.fake_mastodon:app` from the repository root (one process: the statuses
live in its memory).
"""

from __future__ import annotations

import asyncio
import html
import math
import os
import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

MEDIAN_MS = float(os.environ.get("FAKE_MASTODON_MEDIAN_MS", "120"))
SIGMA = float(os.environ.get("FAKE_MASTODON_SIGMA", "0.52"))
SEED = int(os.environ.get("FAKE_MASTODON_SEED", "1"))
TOKEN_PREFIX = "token-"
STATUS_LIMIT = 300  # statuses per account per window, as mastodon.social
STATUS_WINDOW = timedelta(hours=3)
PAGE_MAX = 40
FIRST_ID = 113_000_000_000_000_000  # Mastodon ids are snowflakes: they sort as numbers


def latency_quantile(q: float) -> float:
    """The delay (ms) below which a share `q` of the answers come, for the docs and results."""
    return MEDIAN_MS * math.exp(SIGMA * _normal_quantile(q))


def _normal_quantile(q: float) -> float:
    # Bisection on erf: precise enough for stating the distribution, and no SciPy needed.
    low, high = -10.0, 10.0
    for _ in range(100):
        mid = (low + high) / 2
        if 0.5 * (1 + math.erf(mid / math.sqrt(2))) < q:
            low = mid
        else:
            high = mid
    return (low + high) / 2


@dataclass
class Instance:
    """The instance's statuses, per account and per idempotency key."""

    rng: random.Random = field(default_factory=lambda: random.Random(SEED))
    statuses: list[dict[str, Any]] = field(default_factory=list)
    by_account: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    by_key: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    repeats: Counter[str] = field(default_factory=Counter)
    delays: list[float] = field(default_factory=list)
    window_start: datetime = field(default_factory=lambda: datetime.now(UTC))

    def delay(self) -> float:
        """One answer's delay, in seconds."""
        delay = self.rng.lognormvariate(math.log(MEDIAN_MS / 1000), SIGMA)
        self.delays.append(delay)
        return delay

    def create(self, account: str, key: str | None, text: str, base: str) -> dict[str, Any]:
        """The status for `key`: the one already made under it, or a new one."""
        if key is not None and (account, key) in self.by_key:
            self.repeats[key] += 1
            return self.by_key[(account, key)]
        status_id = str(FIRST_ID + len(self.statuses))
        now = datetime.now(UTC)
        status: dict[str, Any] = {
            "id": status_id,
            "created_at": now.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "in_reply_to_id": None,
            "url": f"{base}/@{account}/{status_id}",
            "uri": f"{base}/users/{account}/statuses/{status_id}",
            "content": f"<p>{html.escape(text)}</p>",
            "media_attachments": [],
            # Not Mastodon's: what the benchmark counts duplicates by.
            "bench_account": account,
            "bench_key": key,
        }
        self.statuses.append(status)
        self.by_account.setdefault(account, []).append(status)
        if key is not None:
            self.by_key[(account, key)] = status
        return status

    def rate_headers(self, account: str) -> dict[str, str]:
        used = len(self.by_account.get(account, ()))
        return {
            "X-RateLimit-Limit": str(STATUS_LIMIT),
            "X-RateLimit-Remaining": str(max(0, STATUS_LIMIT - used)),
            "X-RateLimit-Reset": (self.window_start + STATUS_WINDOW).isoformat(),
        }


instance = Instance()


def _account(request: Request) -> str | None:
    authorization = request.headers.get("authorization", "")
    token = authorization.removeprefix("Bearer ")
    if not token.startswith(TOKEN_PREFIX) or len(token) == len(TOKEN_PREFIX):
        return None
    return token.removeprefix(TOKEN_PREFIX)


def _unauthorized() -> JSONResponse:
    return JSONResponse({"error": "The access token is invalid"}, status_code=401)


async def post_status(request: Request) -> Response:
    account = _account(request)
    if account is None:
        return _unauthorized()
    form = parse_qs((await request.body()).decode())
    text = form.get("status", [""])[0]
    if not text:
        return JSONResponse({"error": "Validation failed: Text can't be blank"}, status_code=422)
    delay = instance.delay()
    await asyncio.sleep(delay / 2)
    status = instance.create(
        account, request.headers.get("idempotency-key"), text, str(request.base_url).rstrip("/")
    )
    await asyncio.sleep(delay / 2)
    public = {k: v for k, v in status.items() if not k.startswith("bench_")}
    return JSONResponse(public, headers=instance.rate_headers(account))


async def account_statuses(request: Request) -> Response:
    account = _account(request)
    if account is None:
        return _unauthorized()
    await asyncio.sleep(instance.delay())
    if request.path_params["account_id"] != account:
        return JSONResponse([])  # the bench's accounts only read their own
    limit = min(int(request.query_params.get("limit", "20")), PAGE_MAX)
    max_id = request.query_params.get("max_id")
    page = [
        {k: v for k, v in status.items() if not k.startswith("bench_")}
        for status in reversed(instance.by_account.get(account, []))
        if max_id is None or int(status["id"]) < int(max_id)
    ]
    return JSONResponse(page[:limit])


async def all_statuses(request: Request) -> Response:
    return JSONResponse(instance.statuses)


async def repeated_keys(request: Request) -> Response:
    return JSONResponse(dict(instance.repeats))


async def drawn_delays(request: Request) -> Response:
    """The delays drawn so far (ms): how many, their median, p99 and largest."""
    drawn = sorted(instance.delays)
    if not drawn:
        return JSONResponse({"count": 0})
    return JSONResponse(
        {
            "count": len(drawn),
            "p50_ms": round(1000 * drawn[len(drawn) // 2], 1),
            "p99_ms": round(1000 * drawn[int(len(drawn) * 0.99)], 1),
            "max_ms": round(1000 * drawn[-1], 1),
        }
    )


async def healthz(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


app = Starlette(
    routes=[
        Route("/api/v1/statuses", post_status, methods=["POST"]),
        Route("/api/v1/accounts/{account_id}/statuses", account_statuses, methods=["GET"]),
        Route("/bench/statuses", all_statuses, methods=["GET"]),
        Route("/bench/repeats", repeated_keys, methods=["GET"]),
        Route("/bench/delays", drawn_delays, methods=["GET"]),
        Route("/healthz", healthz, methods=["GET"]),
    ]
)
