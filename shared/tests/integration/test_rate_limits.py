"""Per-key rate limits through a service app: 429 problems with Retry-After, quota headers, keys."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Annotated

import httpx
import orjson
import pytest
from fastapi import APIRouter, Depends, FastAPI
from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from beacon_shared.app import create_service_app
from beacon_shared.auth import ApiKeyVerifier, Principal, RateLimiter, issue_key, require_scope
from beacon_shared.auth.keys import IssuedKey, generate_key, hash_key
from beacon_shared.auth.tables import api_key
from beacon_shared.db import create_sessionmaker
from beacon_shared.errors import InvalidInput
from beacon_shared.settings import ServiceSettings

pytestmark = pytest.mark.integration

DEFAULT_LIMIT = 5
router = APIRouter()


@router.get("/v1/widgets")
async def list_widgets(
    principal: Annotated[Principal, Depends(require_scope("interactions:read"))],
) -> dict[str, object]:
    return {"tenant_id": principal.tenant_id}


class FakeClock:
    """A monotonic clock that moves only when told."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


async def issue(
    engine: AsyncEngine,
    tenant_id: str,
    *,
    scopes: tuple[str, ...] = ("interactions:read",),
    rate_limit_per_minute: int | None = None,
) -> IssuedKey:
    async with create_sessionmaker(engine)() as session, session.begin():
        return await issue_key(
            session,
            tenant_id=tenant_id,
            name="test",
            scopes=scopes,
            rate_limit_per_minute=rate_limit_per_minute,
        )


def bearer(key: IssuedKey) -> dict[str, str]:
    return {"Authorization": f"Bearer {key.key}"}


@pytest.fixture
def settings(database_url: str) -> ServiceSettings:
    # No route of this app touches the broker, so none is started for these tests.
    return ServiceSettings(
        service_name="shared-test",
        database_url=database_url,
        kafka_bootstrap="127.0.0.1:9",
        log_format="console",
        log_requests=False,
        api_key_cache_seconds=0,
        api_rate_limit_per_minute=DEFAULT_LIMIT,
    )


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def client(settings: ServiceSettings, clock: FakeClock) -> AsyncIterator[httpx.AsyncClient]:
    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.api_keys.rate_limiter = RateLimiter(clock=clock)
        yield

    app = create_service_app(
        settings, title="Widgets", description="Test.", routers=[router], lifespan=lifespan
    )
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http,
    ):
        yield http


async def test_a_key_limited_to_3_a_minute_gets_3_answers_then_a_429(client, engine, unique):
    key = await issue(engine, unique("tenant"), rate_limit_per_minute=3)

    answers = [await client.get("/v1/widgets", headers=bearer(key)) for _ in range(3)]
    refused = await client.get("/v1/widgets", headers=bearer(key))

    assert [a.status_code for a in answers] == [200, 200, 200]
    assert refused.status_code == 429
    assert refused.headers["retry-after"] == "20"  # one request every 20 s
    assert refused.headers["content-type"] == "application/problem+json"
    problem = refused.json()
    assert problem["type"] == "urn:beacon:problem:rate_limited"
    assert problem["title"] == "Too many requests"
    assert problem["status"] == 429
    assert problem["code"] == "rate_limited"
    assert problem["instance"] == "/v1/widgets"
    assert "3 requests a minute" in problem["detail"]
    assert "20 s" in problem["detail"]


async def test_another_key_is_unaffected_by_a_limited_one(client, engine, unique):
    limited = await issue(engine, unique("tenant"), rate_limit_per_minute=3)
    other = await issue(engine, unique("tenant"), rate_limit_per_minute=3)
    for _ in range(4):
        await client.get("/v1/widgets", headers=bearer(limited))

    response = await client.get("/v1/widgets", headers=bearer(other))

    assert response.status_code == 200
    assert response.headers["ratelimit-remaining"] == "2"


async def test_answers_carry_the_quota_headers(client, engine, unique):
    key = await issue(engine, unique("tenant"), rate_limit_per_minute=3)

    answers = [await client.get("/v1/widgets", headers=bearer(key)) for _ in range(3)]
    refused = await client.get("/v1/widgets", headers=bearer(key))

    assert [a.headers["ratelimit-limit"] for a in answers] == ["3", "3", "3"]
    assert [a.headers["ratelimit-remaining"] for a in answers] == ["2", "1", "0"]
    assert [a.headers["ratelimit-reset"] for a in answers] == ["20", "40", "60"]
    assert "retry-after" not in answers[0].headers
    assert refused.headers["ratelimit-remaining"] == "0"
    assert refused.headers["ratelimit-reset"] == "60"


async def test_a_refused_key_is_answered_again_after_retry_after(client, clock, engine, unique):
    key = await issue(engine, unique("tenant"), rate_limit_per_minute=3)
    for _ in range(3):
        await client.get("/v1/widgets", headers=bearer(key))
    refused = await client.get("/v1/widgets", headers=bearer(key))

    clock.advance(int(refused.headers["retry-after"]))

    assert (await client.get("/v1/widgets", headers=bearer(key))).status_code == 200
    assert (await client.get("/v1/widgets", headers=bearer(key))).status_code == 429


async def test_a_key_without_its_own_limit_gets_the_platform_default(client, engine, unique):
    key = await issue(engine, unique("tenant"))

    statuses = [
        (await client.get("/v1/widgets", headers=bearer(key))).status_code
        for _ in range(DEFAULT_LIMIT + 1)
    ]

    assert statuses == [200] * DEFAULT_LIMIT + [429]


async def test_calls_refused_for_a_missing_scope_count_against_the_key(client, engine, unique):
    key = await issue(engine, unique("tenant"), scopes=("posts:read",), rate_limit_per_minute=3)

    forbidden = [await client.get("/v1/widgets", headers=bearer(key)) for _ in range(3)]
    refused = await client.get("/v1/widgets", headers=bearer(key))

    assert [f.status_code for f in forbidden] == [403, 403, 403]
    assert [f.headers["ratelimit-remaining"] for f in forbidden] == ["2", "1", "0"]
    assert refused.status_code == 429


async def test_the_verified_principal_carries_the_keys_limit(engine, unique):
    key = await issue(engine, unique("tenant"), rate_limit_per_minute=42)
    unlimited = await issue(engine, unique("tenant"))
    verifier = ApiKeyVerifier(engine, cache_seconds=0)

    principal = await verifier.verify(key.key)
    default = await verifier.verify(unlimited.key)

    assert key.rate_limit_per_minute == 42
    assert principal is not None
    assert principal.rate_limit_per_minute == 42
    assert default is not None
    assert default.rate_limit_per_minute is None


@pytest.mark.parametrize("limit", [0, -1])
async def test_a_limit_below_one_is_refused_when_issuing(engine, unique, limit):
    with pytest.raises(InvalidInput, match="at least 1"):
        await issue(engine, unique("tenant"), rate_limit_per_minute=limit)


async def test_the_table_refuses_a_limit_below_one(engine, unique):
    tenant = unique("tenant")
    await issue(engine, tenant)  # creates the tenant
    key = generate_key()

    with pytest.raises(IntegrityError, match="ck_api_key_rate_limit_per_minute_positive"):
        async with engine.begin() as conn:
            await conn.execute(
                insert(api_key).values(
                    id=uuid.uuid4(),
                    tenant_id=tenant,
                    name="zero",
                    prefix=key[:10],
                    key_hash=hash_key(key),
                    scopes=["*"],
                    rate_limit_per_minute=0,
                )
            )


async def test_the_cli_issues_a_key_with_its_rate_limit(
    database_url: str, engine: AsyncEngine, unique: Callable[[str], str]
):
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "beacon_shared.auth",
        "create",
        "--tenant",
        unique("tenant"),
        "--scope",
        "interactions:read",
        "--rate-limit",
        "120",
        env={**os.environ, "DATABASE_URL": database_url},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), 60)

    assert process.returncode == 0, stderr.decode()
    printed = orjson.loads(stdout)
    assert printed["rate_limit_per_minute"] == 120
    principal = await ApiKeyVerifier(engine, cache_seconds=0).verify(printed["key"])
    assert principal is not None
    assert principal.rate_limit_per_minute == 120
