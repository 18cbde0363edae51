"""Workspace fixtures: its app on the test servers, the local OpenID Connect issuer, and
organizations whose members sign in there."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncEngine

from beacon_shared.auth.members import ORGANIZATION_HEADER, add_member
from beacon_shared.auth.tables import tenant
from beacon_shared.db import create_sessionmaker
from beacon_shared.embedded_oidc import LocalIssuer
from beacon_shared.testing.oidc import running_issuer
from workspace.config import Settings
from workspace.main import create_app

USERS = [
    {"sub": "olga", "email": "olga@agency.example", "name": "Olga"},
    {"sub": "adam", "email": "adam@agency.example", "name": "Adam"},
    {"sub": "ivan", "email": "ivan@agency.example", "name": "Ivan"},
    {"sub": "eve", "email": "eve@elsewhere.example", "name": "Eve"},
]


@pytest.fixture
def workspace_app(settings_for: Callable[..., Any]) -> Callable[..., FastAPI]:
    """`workspace_app(**settings)`: the workspace API on the test database and broker."""
    return lambda **more: create_app(settings_for(Settings, **more))


@pytest.fixture(scope="session")
def issuer() -> Iterator[LocalIssuer]:
    """node-oidc-provider with the users above (any password)."""
    with running_issuer(USERS) as running:
        yield running


@pytest.fixture(scope="session")
def tokens(issuer: LocalIssuer) -> Callable[[str], Awaitable[str]]:
    """`await tokens("olga")`: an access token of the user, signed in once per session."""
    signed_in: dict[str, str] = {}

    async def token(subject: str) -> str:
        if subject not in signed_in:
            signed_in[subject] = await issuer.sign_in(subject)
        return signed_in[subject]

    return token


@pytest.fixture
def organization(engine: AsyncEngine, issuer: LocalIssuer) -> Callable[..., Awaitable[str]]:
    """`await organization(olga="owner", adam="admin")`: a new organization (committed) with
    those members of the local issuer; its id."""

    async def create(**roles: str) -> str:
        org = f"org-{uuid.uuid4().hex[:12]}"
        async with create_sessionmaker(engine)() as session, session.begin():
            await session.execute(insert(tenant).values(id=org, name=org))
            for subject, role in roles.items():
                user = next(u for u in USERS if u["sub"] == subject)
                await add_member(
                    session,
                    tenant_id=org,
                    issuer=issuer.issuer,
                    subject=subject,
                    role=role,
                    email=user["email"],
                    name=user["name"],
                )
        return org

    return create


class Caller:
    """Requests to one app as one credential in one organization."""

    def __init__(self, http: httpx.AsyncClient, credential: str, org: str | None) -> None:
        self.http = http
        self.headers = {"Authorization": f"Bearer {credential}"}
        if org is not None:
            self.headers[ORGANIZATION_HEADER] = org

    async def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        return await self.http.request(method, path, headers=self.headers, **kwargs)

    async def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return await self.request("GET", path, **kwargs)

    async def post(self, path: str, **kwargs: Any) -> httpx.Response:
        return await self.request("POST", path, **kwargs)

    async def patch(self, path: str, **kwargs: Any) -> httpx.Response:
        return await self.request("PATCH", path, **kwargs)

    async def delete(self, path: str, **kwargs: Any) -> httpx.Response:
        return await self.request("DELETE", path, **kwargs)


@pytest.fixture
async def workspace(
    workspace_app: Callable[..., FastAPI], issuer: LocalIssuer, api_client: Any
) -> AsyncIterator[Callable[[str, str | None], Caller]]:
    """`workspace(credential, org)`: a caller of the workspace API signed in with the local
    issuer, whose answers are never cached (`API_KEY_CACHE_SECONDS=0`), so a removal or a
    revocation shows at the next request."""
    app = workspace_app(oidc_issuer=issuer.issuer, oidc_audience="beacon", api_key_cache_seconds=0)
    async with api_client(app) as http:
        yield lambda credential, org=None: Caller(http, credential, org)
