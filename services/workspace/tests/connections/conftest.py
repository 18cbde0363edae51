"""Connect-flow fixtures: the fake networks served once per session, and a workspace app
pointing at them through the egress guard (loopback allowed, as for local fakes)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import orjson
import pytest
from cryptography.fernet import Fernet
from fastapi import FastAPI
from pydantic import SecretStr
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from beacon_shared.auth.brands import register_brand
from beacon_shared.auth.members import ORGANIZATION_HEADER
from beacon_shared.crypto import SecretBox
from beacon_shared.db import create_sessionmaker
from beacon_shared.testing.egress import LOCAL_EGRESS_SETTINGS
from services.workspace.tests.connections.fake_oauth import FakeNetworks, fake_networks
from workspace.audit.models import audit_entry
from workspace.config import Settings
from workspace.connections.apps import http_client
from workspace.connections.meta_check import MetaChecker
from workspace.connections.models import connected_account
from workspace.connections.refresh import Refresher
from workspace.connections.revocation import Revoker
from workspace.db import outbox
from workspace.main import create_app

RETURN_URL = "https://app.brand.example/settings/connections?tab=networks"
CREDENTIALS_KEY = Fernet.generate_key().decode()
EVENT_KEY = Fernet.generate_key().decode()
SCOPES = ("accounts:read", "accounts:write")
# The organization's registered brands.
BRANDS = ("brand-1", "brand-2", "cafe", "jobs")


@pytest.fixture(scope="session")
def served_networks() -> Iterator[FakeNetworks]:
    with fake_networks() as fakes:
        yield fakes


@pytest.fixture
def networks(served_networks: FakeNetworks) -> FakeNetworks:
    """The fakes, their switches back to normal."""
    served_networks.reset()
    return served_networks


def connections_settings(networks: FakeNetworks, **more: object) -> dict[str, object]:
    """The workspace's settings for connect flows against the fakes."""
    return {
        **LOCAL_EGRESS_SETTINGS,
        **networks.settings(),
        "credentials_keys": CREDENTIALS_KEY,
        "network_credentials_keys": EVENT_KEY,
        "public_url": "http://test",
        "return_origins": "https://app.brand.example",
        **more,
    }


@dataclass
class Harness:
    """One organization's key on the workspace, a browser, and the database to look into."""

    http: httpx.AsyncClient
    browser: httpx.AsyncClient
    engine: AsyncEngine
    tenant_id: str
    app: FastAPI
    issue_api_key: Any

    @asynccontextmanager
    async def other_key(self, **limits: Any) -> AsyncIterator[httpx.AsyncClient]:
        """A client of the same organization with another key (`brand_ids=...`)."""
        key = await self.issue_api_key(self.tenant_id, scopes=SCOPES, **limits)
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=self.app),
            base_url="http://test",
            headers={"Authorization": f"Bearer {key.key}"},
        ) as http:
            yield http

    async def start(self, network: str, brand: str = "brand-1", **body: Any) -> httpx.Response:
        return await self.http.post(
            f"/v1/brands/{brand}/connections",
            json={"network": network, "return_url": RETURN_URL, **body},
        )

    async def authorize(self, authorization_url: str) -> str:
        """The browser at the network's page; the callback URL the network sends it to."""
        async with httpx.AsyncClient() as network_page:
            consented = await network_page.get(authorization_url)
        assert consented.status_code == 302, consented.text
        location = consented.headers["location"]
        assert location.startswith("http://test/v1/connections/callback?")
        return location

    async def callback(self, location: str) -> httpx.Response:
        """The browser back at Beacon: no credential but the state."""
        return await self.browser.get(location)

    async def connect(self, network: str, brand: str = "brand-1", **body: Any) -> httpx.Response:
        started = await self.start(network, brand, **body)
        assert started.status_code == 201, started.text
        return await self.callback(await self.authorize(started.json()["authorization_url"]))

    async def accounts(self) -> list[Any]:
        async with self.engine.connect() as conn:
            return list(
                await conn.execute(
                    select(connected_account)
                    .where(connected_account.c.tenant_id == self.tenant_id)
                    .order_by(connected_account.c.kind, connected_account.c.external_id)
                )
            )

    async def events(self) -> list[dict[str, Any]]:
        """The envelopes staged for the organization, oldest first."""
        async with self.engine.connect() as conn:
            rows = await conn.execute(select(outbox.c.value).order_by(outbox.c.id))
        envelopes = [orjson.loads(value) for (value,) in rows]
        return [e for e in envelopes if e["tenantid"] == self.tenant_id]

    async def raw_outbox(self) -> bytes:
        async with self.engine.connect() as conn:
            rows = await conn.execute(select(outbox.c.value))
        return b"".join(value for (value,) in rows)

    async def audit(self) -> list[tuple[str, str]]:
        async with self.engine.connect() as conn:
            rows = await conn.execute(
                select(audit_entry.c.action, audit_entry.c.actor)
                .where(audit_entry.c.tenant_id == self.tenant_id)
                .order_by(audit_entry.c.recorded_at, audit_entry.c.action)
            )
        return [(r.action, r.actor) for r in rows]


def outcome(response: httpx.Response) -> dict[str, str]:
    """Where a callback sent the browser: the return URL's query, each parameter once."""
    assert response.status_code == 303, response.text
    location = response.headers["location"]
    assert location.startswith("https://app.brand.example/settings/connections?")
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def opened(sealed: bytes | str, key: str) -> dict[str, str]:
    """Credentials sealed under `key`."""
    token = sealed.encode() if isinstance(sealed, str) else sealed
    return SecretBox(SecretStr(key), setting="test").decrypt(token)


@pytest.fixture
def harness(
    networks: FakeNetworks,
    settings_for: Callable[..., Any],
    api_client: Any,
    issue_api_key: Any,
    engine: AsyncEngine,
    unique: Callable[[str], str],
) -> Callable[..., Any]:
    """`async with harness(**settings) as h`: a new organization's key with the accounts scopes
    on a workspace app pointing at the fakes; or, given `organization` and `bearer` (a member's
    access token), that member of an existing organization."""

    @asynccontextmanager
    async def build(
        *,
        brand_ids: tuple[str, ...] | None = None,
        organization: str | None = None,
        bearer: str | None = None,
        **more: object,
    ) -> AsyncIterator[Harness]:
        tenant_id = organization or unique("org")
        async with create_sessionmaker(engine)() as session, session.begin():
            for brand_id in BRANDS:
                await register_brand(session, tenant_id=tenant_id, brand_id=brand_id)
        if bearer is None:
            bearer = (await issue_api_key(tenant_id, scopes=SCOPES, brand_ids=brand_ids)).key
        app: FastAPI = create_app(settings_for(Settings, **connections_settings(networks, **more)))
        async with (
            api_client(app, key=bearer) as http,
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://test"
            ) as browser,
        ):
            http.headers[ORGANIZATION_HEADER] = tenant_id
            yield Harness(http, browser, engine, tenant_id, app, issue_api_key)

    return build


@pytest.fixture
def refresher(
    networks: FakeNetworks, settings_for: Callable[..., Any], engine: AsyncEngine
) -> Callable[..., Any]:
    """`async with refresher(**settings) as r`: a refresher on the test database."""

    @asynccontextmanager
    async def build(**more: object) -> AsyncIterator[Refresher]:
        settings = settings_for(Settings, **connections_settings(networks, **more))
        async with http_client(settings) as http:
            yield Refresher(create_sessionmaker(engine), settings, http)

    return build


@pytest.fixture
def worker_job(
    networks: FakeNetworks, settings_for: Callable[..., Any], engine: AsyncEngine
) -> Callable[..., Any]:
    """`async with worker_job(MetaChecker, now=clock, **settings) as c`: one of the worker's
    jobs (MetaChecker, Revoker) on the test database, reaching the fakes."""

    @asynccontextmanager
    async def build(
        job: type[MetaChecker] | type[Revoker], now: Callable[[], Any] | None = None, **more: object
    ) -> AsyncIterator[Any]:
        settings = settings_for(Settings, **connections_settings(networks, **more))
        async with http_client(settings) as http:
            built = job(create_sessionmaker(engine), settings, http)
            if now is not None:
                built.now = now
            yield built

    return build


async def mine(h: Harness, account_id: str) -> Any:
    """The harness organization's account of that id, as stored."""
    return next(r for r in await h.accounts() if str(r.id) == account_id)
