"""Fixtures of the post metrics poller tests: committed own and tracked accounts, a settable
clock, a poller per fake network, and the events it staged."""

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
from sqlalchemy import Row, delete, select, text, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from beacon_shared.contracts.common import Network
from beacon_shared.contracts.ingest import PostMetricsObserved
from beacon_shared.db import create_sessionmaker
from beacon_shared.events import decode
from ingest.accounts.models import connected_account
from ingest.competitors import service as competitors
from ingest.competitors.models import tracked_account
from ingest.competitors.schemas import CompetitorIn
from ingest.post_metrics.base import MetricsAccount, Owner
from ingest.post_metrics.models import post_metrics_poll
from ingest.post_metrics.runner import MetricsPoller

KEY = SecretStr(Fernet.generate_key().decode())
NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
APPVIEW = "https://appview.example"
INTERVAL = 900.0


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.at = NOW

    def __call__(self) -> datetime:
        return self.at

    def advance(self, seconds: float) -> None:
        self.at += timedelta(seconds=seconds)


def iso(at: datetime) -> str:
    """A network's RFC 3339 timestamp with milliseconds."""
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


@pytest.fixture
def sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return create_sessionmaker(engine)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def tenant(unique, sessionmaker) -> AsyncIterator[str]:
    """A fresh tenant; its accounts are removed afterwards so no later worker polls them."""
    tenant_id = unique("tenant")
    yield tenant_id
    async with sessionmaker() as session, session.begin():
        await session.execute(
            delete(post_metrics_poll).where(post_metrics_poll.c.tenant_id == tenant_id)
        )
        await session.execute(
            delete(tracked_account).where(tracked_account.c.tenant_id == tenant_id)
        )
        await session.execute(
            update(connected_account)
            .where(connected_account.c.tenant_id == tenant_id)
            .values(status="paused")
        )


@pytest.fixture
def track(sessionmaker, tenant) -> Callable[..., Any]:
    """Track (and commit) a competitor's account for brand-1."""

    async def track(network: Network, external_id: str, **fields: Any) -> MetricsAccount:
        async with sessionmaker() as session, session.begin():
            row = await competitors.track(
                session,
                tenant_id=tenant,
                body=CompetitorIn.model_validate(
                    {
                        "brand_id": "brand-1",
                        "network": network,
                        "external_account_id": external_id,
                        **fields,
                    }
                ),
            )
        return MetricsAccount(
            id=row.id,
            tenant_id=tenant,
            brand_id="brand-1",
            owner=Owner.competitor,
            network=network,
            external_account_id=external_id,
            handle=row.handle,
            instance_url=row.instance_url,
        )

    return track


@pytest.fixture
def connect(sessionmaker, tenant, keep) -> Callable[..., Any]:
    """One of brand-1's own accounts (committed): connected in the workspace and kept by
    ingest when its credentials are whole, else connected here before the registry."""

    async def connect(
        network: Network, external_id: str, credentials: dict[str, str] | None = None
    ) -> MetricsAccount:
        # Network account ids are unique across tenants: tests keep theirs apart.
        external_id = f"{external_id}{uuid.uuid4().hex[:8]}"
        async with sessionmaker() as session, session.begin():
            account_id = await keep(
                session,
                tenant_id=tenant,
                network=network,
                external_id=external_id,
                credentials=credentials,
                ingest_key=KEY,
                handle="brand",
            )
        return MetricsAccount(
            id=account_id,
            tenant_id=tenant,
            brand_id="brand-1",
            owner=Owner.own,
            network=network,
            external_account_id=external_id,
            handle="brand",
            instance_url=None,
        )

    return connect


@pytest.fixture
async def poller_for(sessionmaker, clock) -> AsyncIterator[Callable[[FastAPI], MetricsPoller]]:
    """A poller whose HTTP client talks to a fake network app."""
    clients: list[httpx.AsyncClient] = []

    def build(app: FastAPI) -> MetricsPoller:
        client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), timeout=5)
        clients.append(client)
        return MetricsPoller(
            sessionmaker=sessionmaker,
            client=client,
            credentials_key=KEY,
            bluesky_appview_url=APPVIEW,
            interval_seconds=INTERVAL,
            max_post_age=timedelta(days=7),
            backoff_max_seconds=4 * INTERVAL,
            now=clock,
        )

    yield build
    for client in clients:
        await client.aclose()


@pytest.fixture
def observed(sessionmaker, tenant) -> Callable[[], Any]:
    """The post.metrics.observed events staged for the tenant, with their record keys."""

    async def observed() -> list[tuple[str, PostMetricsObserved]]:
        async with sessionmaker() as session:
            rows = await session.execute(
                text(
                    "SELECT key, value FROM ingest.outbox "
                    "WHERE topic = 'post.metrics.observed' ORDER BY id"
                )
            )
            events = [(row.key, decode(row.value)) for row in rows]
        return [
            (key, envelope.payload(PostMetricsObserved))
            for key, envelope in events
            if envelope.tenantid == tenant
        ]

    return observed


@pytest.fixture
def poll_state(sessionmaker) -> Callable[[MetricsAccount], Any]:
    """The account's committed schedule row."""

    async def state(account: MetricsAccount) -> Row[Any]:
        async with sessionmaker() as session:
            result = await session.execute(
                select(post_metrics_poll).where(post_metrics_poll.c.account_id == account.id)
            )
            return result.one()

    return state
