"""Fixtures of the poller tests: committed accounts, a settable clock and a runner per fake."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from cryptography.fernet import Fernet
from fastapi import FastAPI
from pydantic import SecretStr
from sqlalchemy import Row, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from beacon_shared.contracts.common import Network
from beacon_shared.db import create_sessionmaker
from ingest.accounts.schemas import PolledAccount
from ingest.pollers.runner import PollRunner

KEY = SecretStr(Fernet.generate_key().decode())


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.at = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.at

    def advance(self, seconds: float) -> None:
        self.at += timedelta(seconds=seconds)


@pytest.fixture
def sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return create_sessionmaker(engine)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def connect(sessionmaker, unique, keep):
    """An account of a new tenant (committed): connected in the workspace and kept by ingest
    when its credentials are whole, else (or with `legacy`) connected here before the
    registry."""

    async def connect(
        network: Network, credentials: dict[str, str], *, legacy: bool = False
    ) -> PolledAccount:
        tenant = unique("tenant")
        external_id = f"{network.value}-{uuid.uuid4().hex}"
        async with sessionmaker() as session, session.begin():
            account_id = await keep(
                session,
                tenant_id=tenant,
                network=network,
                external_id=external_id,
                credentials=credentials,
                ingest_key=KEY,
                legacy=legacy,
            )
        return PolledAccount(
            id=account_id, tenant_id=tenant, network=network, external_account_id=external_id
        )

    return connect


@pytest.fixture
def stored(sessionmaker) -> Callable[[str], Any]:
    """The interactions stored for a tenant, by external id."""

    async def stored(tenant_id: str) -> list[Row[Any]]:
        async with sessionmaker() as session:
            result = await session.execute(
                text("SELECT * FROM ingest.interaction WHERE tenant_id = :t ORDER BY external_id"),
                {"t": tenant_id},
            )
            return list(result)

    return stored


@pytest.fixture
def account_state(sessionmaker) -> Callable[[PolledAccount], Any]:
    """The account's status and poll cursor as committed."""

    async def state(account: PolledAccount) -> Row[Any]:
        async with sessionmaker() as session:
            result = await session.execute(
                text(
                    "SELECT status, poll_cursor, poll_next_at FROM ingest.connected_account"
                    " WHERE id = :id"
                ),
                {"id": account.id},
            )
            return result.one()

    return state


@pytest.fixture
async def runner_for(sessionmaker, clock) -> AsyncIterator[Callable[[FastAPI], PollRunner]]:
    """A runner whose HTTP client talks to a fake network app."""
    clients: list[httpx.AsyncClient] = []

    def build(app: FastAPI, *, interval_seconds: float = 30) -> PollRunner:
        client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), timeout=5)
        clients.append(client)
        return PollRunner(
            sessionmaker=sessionmaker,
            client=client,
            credentials_key=KEY,
            interval_seconds=interval_seconds,
            backoff_max_seconds=600,
            now=clock,
        )

    yield build
    for client in clients:
        await client.aclose()
