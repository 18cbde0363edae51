"""API keys: issued per tenant with scopes, stored hashed, verified, revoked and expired."""

from __future__ import annotations

import asyncio
import hashlib
import os
import sys
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from typing import Annotated

import httpx
import orjson
import pytest
from fastapi import APIRouter, Depends
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from beacon_shared.app import create_service_app
from beacon_shared.auth import ApiKeyVerifier, Principal, issue_key, require_scope, revoke_key
from beacon_shared.auth.keys import IssuedKey
from beacon_shared.auth.tables import api_key
from beacon_shared.db import create_sessionmaker
from beacon_shared.errors import InvalidInput, NotFound
from beacon_shared.settings import ServiceSettings
from beacon_shared.testing.plugin import eventually

pytestmark = [pytest.mark.integration, pytest.mark.kafka]

router = APIRouter()


@router.get("/v1/widgets")
async def list_widgets(
    principal: Annotated[Principal, Depends(require_scope("interactions:read"))],
) -> dict[str, object]:
    return {"tenant_id": principal.tenant_id, "scopes": sorted(principal.scopes)}


async def issue(
    engine: AsyncEngine,
    tenant_id: str,
    scopes: tuple[str, ...] = ("interactions:read",),
    expires_at: datetime | None = None,
) -> IssuedKey:
    async with create_sessionmaker(engine)() as session, session.begin():
        return await issue_key(
            session, tenant_id=tenant_id, name="test", scopes=scopes, expires_at=expires_at
        )


async def revoke(engine: AsyncEngine, tenant_id: str, key: IssuedKey) -> None:
    async with create_sessionmaker(engine)() as session, session.begin():
        await revoke_key(session, tenant_id=tenant_id, key_id=key.id)


@pytest.fixture
async def client(settings: ServiceSettings) -> AsyncIterator[httpx.AsyncClient]:
    assert settings.api_key_cache_seconds == 0
    app = create_service_app(settings, title="Widgets", description="Test.", routers=[router])
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http,
    ):
        yield http


def bearer(key: IssuedKey) -> dict[str, str]:
    return {"Authorization": f"Bearer {key.key}"}


async def test_an_issued_key_verifies_as_its_tenant_with_its_scopes(engine, unique):
    tenant = unique("tenant")
    key = await issue(engine, tenant, ("interactions:read", "posts:write"))

    principal = await ApiKeyVerifier(engine, cache_seconds=0).verify(key.key)

    assert principal == Principal(tenant, key.id, frozenset({"interactions:read", "posts:write"}))


async def test_an_unknown_key_does_not_verify(engine):
    assert await ApiKeyVerifier(engine, cache_seconds=0).verify("bk_" + "x" * 43) is None


async def test_a_revoked_key_stops_verifying(engine, unique):
    tenant = unique("tenant")
    key = await issue(engine, tenant)
    verifier = ApiKeyVerifier(engine, cache_seconds=0)
    assert await verifier.verify(key.key) is not None

    await revoke(engine, tenant, key)

    assert await verifier.verify(key.key) is None


async def test_a_revoked_key_keeps_working_until_the_cache_period_ends(engine, unique):
    tenant = unique("tenant")
    key = await issue(engine, tenant)
    verifier = ApiKeyVerifier(engine, cache_seconds=0.3)
    assert await verifier.verify(key.key) is not None

    await revoke(engine, tenant, key)

    assert await verifier.verify(key.key) is not None  # still cached

    async def refused() -> bool:
        return await verifier.verify(key.key) is None

    await eventually(refused, timeout=5, interval=0.05)


async def test_an_expired_key_does_not_verify(engine, unique):
    past = datetime.now(UTC) - timedelta(seconds=1)
    key = await issue(engine, unique("tenant"), expires_at=past)

    assert await ApiKeyVerifier(engine, cache_seconds=0).verify(key.key) is None


async def test_a_key_expiring_later_verifies(engine, unique):
    future = datetime.now(UTC) + timedelta(hours=1)
    key = await issue(engine, unique("tenant"), expires_at=future)

    assert await ApiKeyVerifier(engine, cache_seconds=0).verify(key.key) is not None


async def test_a_tenant_cannot_revoke_another_tenants_key(engine, unique):
    owner = unique("tenant")
    key = await issue(engine, owner)

    with pytest.raises(NotFound):
        await revoke(engine, unique("other"), key)

    assert await ApiKeyVerifier(engine, cache_seconds=0).verify(key.key) is not None


@pytest.mark.parametrize("scopes", [("interactions:read", "everything"), ()])
async def test_unknown_or_missing_scopes_are_refused(engine, unique, scopes):
    tenant = unique("tenant")

    with pytest.raises(InvalidInput):
        await issue(engine, tenant, scopes)

    async with engine.connect() as conn:
        stored = await conn.execute(select(api_key.c.id).where(api_key.c.tenant_id == tenant))
        assert stored.first() is None


async def test_only_a_hash_of_the_key_is_stored(engine, unique):
    key = await issue(engine, unique("tenant"))
    secret = key.key.removeprefix("bk_")

    async with engine.connect() as conn:
        row = (
            await conn.execute(
                text("SELECT k::text AS whole, k.key_hash FROM iam.api_key k WHERE k.id = :id"),
                {"id": key.id},
            )
        ).one()

    assert key.key not in row.whole
    assert secret[-20:] not in row.whole
    assert row.key_hash == hashlib.sha256(key.key.encode()).hexdigest()


async def test_a_key_with_the_scope_is_let_in_as_its_tenant(client, engine, unique):
    tenant = unique("tenant")
    key = await issue(engine, tenant, ("interactions:read",))

    response = await client.get("/v1/widgets", headers=bearer(key))

    assert response.status_code == 200
    assert response.json() == {"tenant_id": tenant, "scopes": ["interactions:read"]}


async def test_the_x_api_key_header_works_too(client, engine, unique):
    key = await issue(engine, unique("tenant"))

    response = await client.get("/v1/widgets", headers={"X-API-Key": key.key})

    assert response.status_code == 200


async def test_the_wildcard_scope_grants_every_scope(client, engine, unique):
    key = await issue(engine, unique("tenant"), ("*",))

    assert (await client.get("/v1/widgets", headers=bearer(key))).status_code == 200


async def test_a_key_without_the_scope_is_forbidden(client, engine, unique):
    key = await issue(engine, unique("tenant"), ("interactions:write", "posts:read"))

    response = await client.get("/v1/widgets", headers=bearer(key))

    assert response.status_code == 403
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "forbidden"
    assert "interactions:read" in response.json()["detail"]


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer nope"}, {"Authorization": "Bearer bk_" + "y" * 43}],
    ids=["missing", "wrong-prefix", "unknown"],
)
async def test_a_missing_or_invalid_key_is_unauthorized(client, headers):
    response = await client.get("/v1/widgets", headers=headers)

    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert response.json()["code"] == "unauthorized"


async def test_a_revoked_key_is_refused_on_the_next_request(client, engine, unique):
    tenant = unique("tenant")
    key = await issue(engine, tenant)
    assert (await client.get("/v1/widgets", headers=bearer(key))).status_code == 200

    await revoke(engine, tenant, key)

    assert (await client.get("/v1/widgets", headers=bearer(key))).status_code == 401


async def test_the_cli_prints_a_key_that_verifies(
    database_url: str, engine: AsyncEngine, unique: Callable[[str], str]
):
    tenant = unique("tenant")
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "beacon_shared.auth",
        "create",
        "--tenant",
        tenant,
        "--scope",
        "interactions:read",
        env={**os.environ, "DATABASE_URL": database_url},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), 60)

    assert process.returncode == 0, stderr.decode()
    printed = orjson.loads(stdout)
    assert printed["tenant_id"] == tenant
    assert printed["scopes"] == ["interactions:read"]
    principal = await ApiKeyVerifier(engine, cache_seconds=0).verify(printed["key"])
    assert principal is not None
    assert principal.tenant_id == tenant
    assert str(principal.key_id) == printed["id"]
    assert principal.scopes == frozenset({"interactions:read"})
