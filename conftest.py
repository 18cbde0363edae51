"""Suite-wide fixtures: one migrated database and one broker for each test worker's session."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from uuid import UUID

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from beacon_shared.auth.brands import register_brand
from beacon_shared.auth.keys import IssuedKey, issue_key
from beacon_shared.auth.members import add_member, set_brand_roles
from beacon_shared.auth.tenants import ensure_tenant
from beacon_shared.db import create_engine, create_sessionmaker
from beacon_shared.migrations import upgrade
from beacon_shared.testing.plugin import rollback_session

ROOT = Path(__file__).parent
ALEMBIC_INIS = [ROOT / "shared" / "alembic.ini", *sorted(ROOT.glob("services/*/alembic.ini"))]


@pytest.fixture(scope="session")
async def database_url(database_server_url: str) -> str:
    """The test database with every schema migrated by its own Alembic environment."""
    for ini in ALEMBIC_INIS:
        await asyncio.to_thread(upgrade, ini, database_server_url)
    return database_server_url


@pytest.fixture(scope="session")
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    """An engine on the migrated test database."""
    engine = create_engine(database_url, pool_size=5, app_name="beacon-tests")
    yield engine
    await engine.dispose()


@pytest.fixture
async def db_session(engine: AsyncEngine) -> AsyncIterator[AsyncSession]:
    """A session whose work is rolled back after the test."""
    async for session in rollback_session(engine):
        yield session


@pytest.fixture
def issue_api_key(engine: AsyncEngine) -> Callable[..., Awaitable[IssuedKey]]:
    """Issue (and commit) an API key: `await issue_api_key(tenant_id, scopes=[...])`, limited
    to some registered brands with `brand_ids=[...]`."""

    async def issue(
        tenant_id: str,
        *,
        scopes: tuple[str, ...] = ("*",),
        brand_ids: tuple[str, ...] | None = None,
    ) -> IssuedKey:
        async with create_sessionmaker(engine)() as session, session.begin():
            return await issue_key(
                session, tenant_id=tenant_id, name="test", scopes=scopes, brand_ids=brand_ids
            )

    return issue


@pytest.fixture
def register_brands(engine: AsyncEngine) -> Callable[..., Awaitable[None]]:
    """Register (and commit) brands of a tenant, as the workspace does:
    `await register_brands(tenant_id, "brand-a", "brand-b")`."""

    async def register(tenant_id: str, *brand_ids: str) -> None:
        async with create_sessionmaker(engine)() as session, session.begin():
            for brand_id in brand_ids:
                await register_brand(session, tenant_id=tenant_id, brand_id=brand_id)

    return register


@pytest.fixture
def settings_for(
    database_url: str, kafka_bootstrap: str, kafka_idempotence: bool
) -> Callable[..., object]:
    """A service's Settings on the test servers: `settings_for(Settings, **overrides)`."""

    def build(settings_cls: type, **overrides: object) -> object:
        values: dict[str, object] = {
            "database_url": database_url,
            "kafka_bootstrap": kafka_bootstrap,
            "kafka_enable_idempotence": kafka_idempotence,
            "kafka_linger_ms": 0,
            "log_format": "console",
            "log_requests": False,
            "outbox_poll_seconds": 0.2,
            "consumer_retry_backoff_seconds": 0.01,
            # The embedded broker makes a group's first join wait half the session timeout.
            "consumer_session_timeout_ms": 2000,
        }
        values.update(overrides)
        return settings_cls(**values)

    return build


@pytest.fixture
def api_client() -> Callable[..., object]:
    """An httpx client over ASGI with the app's lifespan running: `async with api_client(app)`."""
    import contextlib

    import httpx
    from fastapi import FastAPI

    @contextlib.asynccontextmanager
    async def client(app: FastAPI, *, key: str | None = None) -> AsyncIterator[httpx.AsyncClient]:
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(
                transport=transport, base_url="http://test", headers=headers
            ) as http:
                yield http

    return client


@dataclass(frozen=True)
class Member:
    """A member of an organization and their personal token."""

    user_id: UUID
    key: str

    @property
    def actor(self) -> str:
        """How their writes are recorded."""
        return f"user:{self.user_id}"


@pytest.fixture
def member(engine: AsyncEngine) -> Callable[..., Awaitable[Member]]:
    """`await member(tenant, role, brand_roles={...})` adds (and commits) a member with a personal
    token carrying whatever their roles allow."""

    async def add(
        tenant_id: str, role: str = "agent", brand_roles: Mapping[str, str] | None = None
    ) -> Member:
        async with create_sessionmaker(engine)() as session, session.begin():
            await ensure_tenant(session, tenant_id=tenant_id)
            joined = await add_member(
                session,
                tenant_id=tenant_id,
                issuer="https://issuer.test",
                subject=f"person-{uuid.uuid4().hex[:12]}",
                role=role,
            )
            if brand_roles:
                await set_brand_roles(
                    session, tenant_id=tenant_id, user_id=joined.user_id, roles=brand_roles
                )
            token = await issue_key(
                session, tenant_id=tenant_id, name="personal", scopes=("*",), user_id=joined.user_id
            )
        return Member(joined.user_id, token.key)

    return add
