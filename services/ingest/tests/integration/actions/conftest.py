"""Fixtures of the network action tests: committed accounts and requests, a settable clock, fake
networks behind one HTTP client, and an executor on them."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import httpx
import pytest
from cryptography.fernet import Fernet
from fastapi import FastAPI
from pydantic import SecretStr
from sqlalchemy import Row, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from beacon_shared.contracts.common import Network
from beacon_shared.contracts.moderation import ActionRequested, NetworkAction
from beacon_shared.db import create_sessionmaker
from beacon_shared.events import Envelope, decode
from beacon_shared.testing.fake_networks import Faults, NoNetwork
from ingest.accounts import service as accounts
from ingest.accounts.crypto import credential_box
from ingest.accounts.schemas import AccountPatch
from ingest.actions.executor import ActionExecutor, RetryPolicy
from ingest.actions.handlers import handle_action_requested
from ingest.actions.networks.bluesky import BlueskyClient
from ingest.actions.networks.graph import FacebookClient, InstagramClient
from ingest.actions.networks.mastodon import MastodonClient
from ingest.actions.networks.sandbox import SandboxClient
from ingest.actions.networks.x import XClient

KEY = SecretStr(Fernet.generate_key().decode())
GRAPH = "https://graph.test"
X_API = "https://x.test"
MASTODON = "https://mastodon.test"
PDS = "https://pds.test"
GRAPH_VERSION = "v23.0"


class Clock:
    """A clock the test moves by hand, a minute ahead so requests stored now are due."""

    def __init__(self) -> None:
        self.at = datetime.now(UTC) + timedelta(minutes=1)

    def __call__(self) -> datetime:
        return self.at

    def advance(self, seconds: float) -> None:
        self.at += timedelta(seconds=seconds)


@dataclass(frozen=True)
class Account:
    """A connected account a test acts through."""

    id: UUID
    tenant_id: str
    network: Network
    external_account_id: str


@pytest.fixture
def sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return create_sessionmaker(engine)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def tenant(sessionmaker, unique) -> AsyncIterator[str]:
    """The test's tenant; its actions are removed afterwards so no other test's executor sees
    them (executors claim whatever is due, whoever it belongs to)."""
    tenant_id = unique("tenant")
    yield tenant_id
    async with sessionmaker() as session, session.begin():
        for table in ("network_action", "connected_account"):
            await session.execute(
                text(f"DELETE FROM ingest.{table} WHERE tenant_id = :t"),
                {"t": tenant_id},
            )


@pytest.fixture
def connect(sessionmaker, tenant, keep):
    """An account of the test's tenant (committed): connected in the workspace and kept by
    ingest when its credentials are whole, else (or with `legacy`) connected here before the
    registry."""

    async def connect(
        network: Network,
        credentials: dict[str, str] | None,
        *,
        external_account_id: str | None = None,
        tenant_id: str | None = None,
        legacy: bool = False,
    ) -> Account:
        owner = tenant_id or tenant
        external_id = external_account_id or f"{network.value}-{uuid.uuid4().hex}"
        async with sessionmaker() as session, session.begin():
            account_id = await keep(
                session,
                tenant_id=owner,
                network=network,
                external_id=external_id,
                credentials=credentials,
                ingest_key=KEY,
                legacy=legacy,
            )
        return Account(account_id, owner, network, external_id)

    return connect


@pytest.fixture
def set_status(sessionmaker):
    async def set_status(account: Account, status: str) -> None:
        async with sessionmaker() as session, session.begin():
            await accounts.update(
                session,
                tenant_id=account.tenant_id,
                account_id=account.id,
                patch=AccountPatch.model_validate({"status": status}),
                cipher=credential_box(KEY),
            )

    return set_status


@pytest.fixture
def make_request() -> Callable[..., ActionRequested]:
    """`make_request(network=..., action=..., external_id=..., account_id=...)`."""
    return action_request


def action_request(
    *,
    network: Network,
    action: NetworkAction,
    external_id: str,
    account_id: UUID | str | None,
    reply_text: str | None = None,
    author_handle: str | None = None,
    thread_external_id: str | None = "post-1",
    action_id: UUID | None = None,
) -> ActionRequested:
    return ActionRequested(
        action_id=action_id or uuid.uuid4(),
        decision_id=uuid.uuid4(),
        interaction_id=uuid.uuid4(),
        brand_id="brand-1",
        account_id=str(account_id) if account_id is not None else None,
        network=network,
        external_id=external_id,
        thread_external_id=thread_external_id,
        action=action,
        reply_text=reply_text,
        author_handle=author_handle,
        requested_by="rule:spam",
        comment_created_at=datetime(2026, 11, 24, 10, 0, tzinfo=UTC),
        requested_at=datetime.now(UTC),
    )


@pytest.fixture
def request_action(sessionmaker, tenant):
    """Deliver (and commit) action requests as the consumer would, one envelope each."""

    async def deliver(*requests: ActionRequested, tenant_id: str | None = None) -> list[Envelope]:
        envelopes = [
            Envelope.build(
                r,
                tenant_id=tenant_id or tenant,
                subject=str(r.action_id),
                source="/beacon/moderation",
                correlation_id=f"corr-{r.action_id}",
            )
            for r in requests
        ]
        async with sessionmaker() as session, session.begin():
            await handle_action_requested(session, envelopes)
        return envelopes

    return deliver


@pytest.fixture
def stored(sessionmaker) -> Callable[[UUID], Any]:
    """An action's row as committed."""

    async def stored(action_id: UUID) -> Row[Any]:
        async with sessionmaker() as session:
            result = await session.execute(
                text("SELECT * FROM ingest.network_action WHERE id = :id"), {"id": action_id}
            )
            return result.one()

    return stored


@pytest.fixture
def completed_events(sessionmaker) -> Callable[[UUID], Any]:
    """The ActionCompleted envelopes staged for an action, with their record keys."""

    async def events(action_id: UUID) -> list[tuple[str, Envelope]]:
        async with sessionmaker() as session:
            result = await session.execute(
                text("SELECT key, value FROM ingest.outbox WHERE topic = 'action.completed'")
            )
            found = [(row.key, decode(row.value)) for row in result]
        return [(key, env) for key, env in found if env.data["action_id"] == str(action_id)]

    return events


@dataclass
class Networks:
    """The HTTP client the executor uses, with one scriptable transport per fake network."""

    client: httpx.AsyncClient
    faults: dict[str, Faults]


@pytest.fixture
async def executor_for(sessionmaker, clock) -> AsyncIterator[Callable[..., Any]]:
    """An executor whose networks are the given fake apps (by host), on the test's clock."""
    clients: list[httpx.AsyncClient] = []

    def build(
        apps: dict[str, FastAPI], *, policy: RetryPolicy | None = None, batch_size: int = 20
    ) -> tuple[ActionExecutor, Networks]:
        faults = {host: Faults(app) for host, app in apps.items()}
        client = httpx.AsyncClient(
            transport=NoNetwork(),
            mounts={f"all://{host}": transport for host, transport in faults.items()},
            timeout=5,
        )
        clients.append(client)
        executor = ActionExecutor(
            sessionmaker=sessionmaker,
            client=client,
            credentials_key=KEY,
            clients=[
                FacebookClient(base_url=GRAPH, version=GRAPH_VERSION, now=clock),
                InstagramClient(base_url=GRAPH, version=GRAPH_VERSION, now=clock),
                XClient(base_url=X_API, now=clock),
                MastodonClient(now=clock),
                BlueskyClient(now=clock),
                SandboxClient(),
            ],
            policy=policy or RetryPolicy(max_attempts=5, backoff_seconds=10),
            batch_size=batch_size,
            now=clock,
        )
        return executor, Networks(client, faults)

    yield build
    for client in clients:
        await client.aclose()


@pytest.fixture
def outcomes() -> Callable[[list[Any], UUID], list[str]]:
    """What an executor's run did with one action, from its list of Settled."""
    return lambda settled, action_id: [s.outcome for s in settled if s.action_id == action_id]


@pytest.fixture
def account_status(sessionmaker):
    """`await account_status(account)`: its status as stored now."""

    async def read(account: Account) -> str:
        async with sessionmaker() as session:
            row = await accounts.get(session, tenant_id=account.tenant_id, account_id=account.id)
            return str(row.status)

    return read
