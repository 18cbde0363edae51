"""A fake X for the benchmark of a day of expiring tokens, with a network's latency.

Serves what the workspace's refresher and the publisher's X connector call, in X's formats:
- `POST /2/oauth2/token` with `grant_type=refresh_token` (the app's client id and secret in
  HTTP Basic): a new access token, living `expires_in` seconds, and a new refresh token. Each
  refresh token works once; sent again it is refused as X refuses it, 400
  `{"error": "invalid_request", "error_description": "Value passed for the token was invalid."}`.
  An access token keeps working until its own expiry after a refresh issued the next one.
- `POST /2/tweets` (JSON `{"text": ...}`, `Authorization: Bearer <access token>`): 201
  `{"data": {"id", "text", "edit_history_tweet_ids"}}`; an unknown or expired access token is
  answered 401 `{"title": "Unauthorized", "type": "about:blank", "status": 401, "detail":
  "Unauthorized"}`, as X answers it.
- `GET /2/users/:id/tweets` (what reconciliation reads): the user's posts, newest first, with
  `created_at`, from `start_time`.

The rate-limit headers are left out: their windows (15 minutes, 24 hours) are wall-clock epoch
times that a day compressed in time cannot shorten. Every answer is delayed like the fake
Mastodon's (bench/fake_mastodon.py: lognormal, median 120 ms, sigma 0.52); a post is created,
and a token checked or spent, halfway through its request's delay.

Undelayed, for the benchmark: `POST /bench/grant` issues a user's first tokens (what the
authorization code flow would have given), `{"user_id", "expires_in"}` in seconds (a float);
`GET /bench/report` returns the posts, the refreshes (with how long before its expiry each
refresh came), the refusals, and which generation of its user's token each post used. Run it
with `python -m uvicorn bench.fake_x:app` from the repository root (one process: the state lives
in its memory). FAKE_X_CLIENT_ID / FAKE_X_CLIENT_SECRET are the app's credentials and
FAKE_X_EXPIRES_IN (seconds, 7200 at X) the lifetime of a refreshed access token.
"""

from __future__ import annotations

import asyncio
import base64
import math
import os
import random
import secrets
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bench.fake_mastodon import MEDIAN_MS, SIGMA

CLIENT_ID = os.environ.get("FAKE_X_CLIENT_ID", "bench-x-client")
CLIENT_SECRET = os.environ.get("FAKE_X_CLIENT_SECRET", "bench-x-secret")
EXPIRES_IN = int(os.environ.get("FAKE_X_EXPIRES_IN", "7200"))
SEED = int(os.environ.get("FAKE_X_SEED", "2"))
SCOPE = "tweet.read tweet.write users.read offline.access"
FIRST_ID = 1_860_000_000_000_000_000  # X ids are snowflakes: they sort as numbers
INVALID_TOKEN = {
    "error": "invalid_request",
    "error_description": "Value passed for the token was invalid.",
}
UNAUTHORIZED = {
    "title": "Unauthorized",
    "type": "about:blank",
    "status": 401,
    "detail": "Unauthorized",
}


@dataclass
class AccessToken:
    user_id: str
    generation: int  # 0 for the first token of the user, then one more per refresh
    issued_at: float  # time.time()
    expires_at: float


@dataclass
class RefreshToken:
    user_id: str
    access: str  # the access token it was issued with
    used: bool = False


@dataclass
class FakeX:
    """X's tokens and posts, and what the benchmark counts."""

    rng: random.Random = field(default_factory=lambda: random.Random(SEED))
    access: dict[str, AccessToken] = field(default_factory=dict)
    refresh: dict[str, RefreshToken] = field(default_factory=dict)
    # The newest generation issued per user, and when it was issued.
    newest: dict[str, tuple[int, float]] = field(default_factory=dict)
    posts: list[dict[str, Any]] = field(default_factory=list)
    by_user: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    refreshes: list[dict[str, Any]] = field(default_factory=list)
    replays: list[dict[str, Any]] = field(default_factory=list)
    refused: dict[str, int] = field(default_factory=dict)
    # Each expired token refused: its generation, the user's newest, and since when that one was.
    expired: list[dict[str, Any]] = field(default_factory=list)
    delays: list[float] = field(default_factory=list)

    def delay(self) -> float:
        delay = self.rng.lognormvariate(math.log(MEDIAN_MS / 1000), SIGMA)
        self.delays.append(delay)
        return delay

    def issue(self, user_id: str, expires_in: float) -> dict[str, Any]:
        """A new access token and refresh token for the user."""
        now = time.time()
        generation = self.newest[user_id][0] + 1 if user_id in self.newest else 0
        access, refresh = _token("xa"), _token("xr")
        self.access[access] = AccessToken(user_id, generation, now, now + expires_in)
        self.refresh[refresh] = RefreshToken(user_id, access)
        self.newest[user_id] = (generation, now)
        return {"access_token": access, "refresh_token": refresh, "expires_at": now + expires_in}

    def refuse(self, reason: str) -> None:
        self.refused[reason] = self.refused.get(reason, 0) + 1

    def bearer(self, request: Request) -> AccessToken | None:
        """The request's access token if it still works, else None (the refusal counted)."""
        token = request.headers.get("authorization", "").removeprefix("Bearer ")
        found = self.access.get(token)
        if found is None:
            self.refuse("unknown_access_token")
            return None
        now = time.time()
        if now >= found.expires_at:
            self.refuse("expired_access_token")
            newest, newest_at = self.newest[found.user_id]
            self.expired.append(
                {
                    "user_id": found.user_id,
                    "at": now,
                    "generation": found.generation,
                    "newest_generation": newest,
                    "ms_since_newest": round((now - newest_at) * 1000, 1),
                    "ms_since_expiry": round((now - found.expires_at) * 1000, 1),
                }
            )
            return None
        return found

    def create(self, token: AccessToken, text: str) -> dict[str, Any]:
        post_id = str(FIRST_ID + len(self.posts))
        now = time.time()
        newest, newest_at = self.newest[token.user_id]
        post = {
            "id": post_id,
            "text": text,
            "created_at": datetime.fromtimestamp(now, UTC)
            .isoformat(timespec="milliseconds")
            .replace("+00:00", "Z"),
            # Not X's: what the benchmark counts.
            "bench_user": token.user_id,
            "bench_generation": token.generation,
            # Made with a token a refresh had already replaced (still valid): how long after.
            "bench_superseded_ms": round((now - newest_at) * 1000, 1)
            if newest > token.generation
            else None,
        }
        self.posts.append(post)
        self.by_user.setdefault(token.user_id, []).append(post)
        return post


x = FakeX()


def _token(prefix: str) -> str:
    return f"{prefix}-{secrets.token_urlsafe(24)}"


def _public(post: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in post.items() if not k.startswith("bench_")}


async def token(request: Request) -> Response:
    expected = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
    if request.headers.get("authorization") != f"Basic {expected}":
        return JSONResponse(
            {
                "error": "unauthorized_client",
                "error_description": "Missing valid authorization header",
            },
            status_code=401,
        )
    form = {k: v[0] for k, v in parse_qs((await request.body()).decode()).items()}
    if form.get("grant_type") != "refresh_token":
        return JSONResponse(INVALID_TOKEN, status_code=400)
    delay = x.delay()
    await asyncio.sleep(delay / 2)
    refresh = x.refresh.get(form.get("refresh_token", ""))
    if refresh is None or refresh.used:
        if refresh is not None:
            x.replays.append({"user_id": refresh.user_id, "at": time.time()})
        await asyncio.sleep(delay / 2)
        return JSONResponse(INVALID_TOKEN, status_code=400)
    refresh.used = True
    now = time.time()
    before = x.access[refresh.access]
    issued = x.issue(refresh.user_id, EXPIRES_IN)
    x.refreshes.append(
        {
            "user_id": refresh.user_id,
            "at": now,
            # How long before the access token it replaces would have stopped working.
            "lead_ms": round((before.expires_at - now) * 1000, 1),
        }
    )
    await asyncio.sleep(delay / 2)
    return JSONResponse(
        {
            "token_type": "bearer",
            "expires_in": EXPIRES_IN,
            "access_token": issued["access_token"],
            "scope": SCOPE,
            "refresh_token": issued["refresh_token"],
        }
    )


async def post_tweet(request: Request) -> Response:
    body = await request.json()
    text = body.get("text") if isinstance(body, dict) else None
    delay = x.delay()
    await asyncio.sleep(delay / 2)
    found = x.bearer(request)
    if found is None:
        await asyncio.sleep(delay / 2)
        return JSONResponse(UNAUTHORIZED, status_code=401)
    if not isinstance(text, str) or not text:
        await asyncio.sleep(delay / 2)
        return JSONResponse(
            {
                "title": "Invalid Request",
                "detail": "One or more parameters to your request was invalid.",
                "type": "https://api.twitter.com/2/problems/invalid-request",
            },
            status_code=400,
        )
    post = x.create(found, text)
    await asyncio.sleep(delay / 2)
    return JSONResponse(
        {"data": {"id": post["id"], "text": text, "edit_history_tweet_ids": [post["id"]]}},
        status_code=201,
    )


async def user_tweets(request: Request) -> Response:
    await asyncio.sleep(x.delay())
    found = x.bearer(request)
    if found is None:
        return JSONResponse(UNAUTHORIZED, status_code=401)
    start = request.query_params.get("start_time")
    since = datetime.fromisoformat(start.replace("Z", "+00:00")) if start else None
    page = [
        {"id": p["id"], "text": p["text"], "created_at": p["created_at"]}
        for p in reversed(x.by_user.get(request.path_params["user_id"], []))
        if since is None or datetime.fromisoformat(p["created_at"].replace("Z", "+00:00")) >= since
    ][: int(request.query_params.get("max_results", "10"))]
    return JSONResponse({"data": page, "meta": {"result_count": len(page)}})


async def grant(request: Request) -> Response:
    body = await request.json()
    return JSONResponse(x.issue(str(body["user_id"]), float(body["expires_in"])))


async def report(request: Request) -> Response:
    drawn = sorted(x.delays)
    return JSONResponse(
        {
            "posts": x.posts,
            "refreshes": x.refreshes,
            "replays": x.replays,
            "refused": x.refused,
            "expired": x.expired,
            "delays": {
                "count": len(drawn),
                "p50_ms": round(1000 * drawn[len(drawn) // 2], 1) if drawn else None,
                "p99_ms": round(1000 * drawn[int(len(drawn) * 0.99)], 1) if drawn else None,
                "max_ms": round(1000 * drawn[-1], 1) if drawn else None,
            },
        }
    )


async def healthz(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


app = Starlette(
    routes=[
        Route("/2/oauth2/token", token, methods=["POST"]),
        Route("/2/tweets", post_tweet, methods=["POST"]),
        Route("/2/users/{user_id}/tweets", user_tweets, methods=["GET"]),
        Route("/bench/grant", grant, methods=["POST"]),
        Route("/bench/report", report, methods=["GET"]),
        Route("/healthz", healthz, methods=["GET"]),
    ]
)
