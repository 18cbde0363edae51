"""Pytest plugin: real PostgreSQL and Kafka-protocol servers, started once per test session.

With DATABASE_URL / KAFKA_BOOTSTRAP set, those servers are used instead of embedded ones.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import tempfile
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, create_async_engine

from beacon_shared.db import create_engine
from beacon_shared.embedded import EmbeddedBroker, EmbeddedPostgres, start_postgres


@pytest.fixture(scope="session")
def embedded_postgres() -> Iterator[EmbeddedPostgres | None]:
    """An ephemeral embedded PostgreSQL, or None when DATABASE_URL points elsewhere."""
    if os.environ.get("DATABASE_URL"):
        yield None
        return
    root = Path(tempfile.mkdtemp(prefix="beacon-test-pg-"))
    pg = start_postgres(root / "data", database="beacon_test", ephemeral=True)
    yield pg
    pg.stop()


@pytest.fixture(scope="session")
def database_server_url(embedded_postgres: EmbeddedPostgres | None) -> Iterator[str]:
    """The URL of the session's test database (before migrations): one per test worker. Each
    xdist worker starts its own embedded server; on DATABASE_URL's server, each worker gets a
    database of its own, made for the session and dropped after it."""
    if embedded_postgres is not None:
        yield embedded_postgres.url
        return
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if worker is None:
        yield os.environ["DATABASE_URL"]
        return
    with _database_of_its_own(os.environ["DATABASE_URL"], worker) as url:
        yield url


@contextlib.contextmanager
def _database_of_its_own(server_url: str, worker: str) -> Iterator[str]:
    base = make_url(server_url)
    name = f"{base.database}_{worker}"

    async def admin(statement: str) -> None:
        engine = create_async_engine(server_url, isolation_level="AUTOCOMMIT")
        async with engine.connect() as conn:
            await conn.execute(text(statement))
        await engine.dispose()

    asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="session")
def kafka_bootstrap() -> Iterator[str]:
    """The bootstrap address of a fresh embedded broker, or KAFKA_BOOTSTRAP."""
    if os.environ.get("KAFKA_BOOTSTRAP"):
        yield os.environ["KAFKA_BOOTSTRAP"]
        return
    broker = EmbeddedBroker().start()
    yield broker.bootstrap
    broker.stop()


@pytest.fixture(scope="session")
def kafka_idempotence() -> bool:
    """Idempotent producers, except on the embedded broker that rejects them."""
    return bool(os.environ.get("KAFKA_BOOTSTRAP"))


@pytest.fixture
def unique() -> Callable[[str], str]:
    """Unique names for tenants, topics and groups, so tests never see each other's data."""
    return lambda prefix: f"{prefix}-{uuid.uuid4().hex[:12]}"


async def rollback_session(engine: AsyncEngine) -> AsyncIterator[AsyncSession]:
    """A session inside an outer transaction that is rolled back after the test."""
    async with engine.connect() as conn:
        outer = await conn.begin()
        session = AsyncSession(
            bind=conn, join_transaction_mode="create_savepoint", expire_on_commit=False
        )
        try:
            yield session
        finally:
            await session.close()
            await outer.rollback()


async def eventually(
    check: Callable[[], object], *, timeout: float = 20.0, interval: float = 0.1
) -> object:
    """Poll an async or sync `check` until it returns a truthy value; fail with its last value."""
    deadline = asyncio.get_running_loop().time() + timeout
    last: object = None
    while asyncio.get_running_loop().time() < deadline:
        last = check()
        if asyncio.iscoroutine(last):
            last = await last
        if last:
            return last
        await asyncio.sleep(interval)
    raise AssertionError(f"condition not met within {timeout}s; last value: {last!r}")


__all__ = ["create_engine", "eventually", "rollback_session"]
