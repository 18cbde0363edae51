"""Publisher fixtures: posts seeded straight into the tables, due whenever a test needs, and
brands configured as the workspace announces them."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.fernet import Fernet
from pydantic import SecretStr
from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from beacon_shared.contracts.workspace import AccountKind, BrandConfigured
from beacon_shared.crypto import SecretBox
from beacon_shared.db import create_sessionmaker
from beacon_shared.events import Envelope
from beacon_shared.testing.brands import workspace_brand
from beacon_shared.testing.registry import account_connected, registry_account
from publisher.accounts import repository as accounts_repository
from publisher.accounts.handlers import AccountHandlers, AccountKeys
from publisher.accounts.models import account
from publisher.authoring import repository
from publisher.authoring.models import PostStatus, post
from publisher.brands.handlers import brand_configured
from publisher.db import outbox
from publisher.delivery.repository import targets as target_repository
from publisher.delivery.status import TargetStatus


async def sandbox_account(session: AsyncSession, *, tenant_id: str, name: str) -> uuid.UUID:
    """A sandbox publishing account of the tenant (flushes only); its id."""
    now = datetime.now(UTC)
    row = await accounts_repository.insert_account(
        session,
        {
            "id": uuid.uuid4(),
            "tenant_id": tenant_id,
            "network": "sandbox",
            "external_account_id": f"{name}-{uuid.uuid4().hex[:8]}",
            "handle": name,
            "status": "active",
            "created_at": now,
            "updated_at": now,
        },
    )
    assert row is not None
    return row.id


# The keys of the workspace accounts the tests connect: the platform's event key, and the
# publisher's own (an app publishing as such an account must be built with it).
EVENT_KEY = SecretStr(Fernet.generate_key().decode())
PUBLISHER_KEY = SecretStr(Fernet.generate_key().decode())
REPLICA_KEYS = AccountKeys(
    events=EVENT_KEY, publisher=SecretBox(PUBLISHER_KEY, setting="PUBLISHER_CREDENTIALS_KEY")
)

ConnectReplica = Callable[..., Awaitable[uuid.UUID]]


@pytest.fixture
def connect_replica(engine: AsyncEngine) -> ConnectReplica:
    """`await connect_replica(tenant_id, kind)`: an account connected in the workspace's registry,
    kept as the tenant's publishing account the way the worker keeps it (committed); its id."""

    async def connect(tenant_id: str, kind: AccountKind, *, brand_id: str = "brand-1") -> uuid.UUID:
        registered = registry_account(kind, brand_id=brand_id)
        envelope = account_connected(registered, tenant_id=tenant_id, event_keys=EVENT_KEY)
        async with create_sessionmaker(engine)() as session, session.begin():
            await AccountHandlers(REPLICA_KEYS).connected(session, envelope)
        return registered.account_id

    return connect


@dataclass(frozen=True)
class Seeded:
    """A seeded post and its target ids."""

    post_id: uuid.UUID
    target_ids: list[uuid.UUID]


async def seed_post(
    session: AsyncSession,
    *,
    tenant_id: str,
    due_at: datetime,
    accounts: int = 1,
    text: str = "Launch day!",
) -> Seeded:
    """Insert a scheduled post with `accounts` sandbox targets due at `due_at`; flushes only."""
    post_id = uuid.uuid4()
    now = datetime.now(UTC)
    account_ids = [
        await sandbox_account(session, tenant_id=tenant_id, name=f"acct-{n}")
        for n in range(accounts)
    ]
    await repository.insert_post(
        session,
        {
            "id": post_id,
            "tenant_id": tenant_id,
            "brand_id": "brand-1",
            "text": text,
            "status": PostStatus.scheduled.value,
            "scheduled_at": due_at,
            "created_at": now,
            "updated_at": now,
        },
    )
    target_ids = [uuid.uuid4() for _ in range(accounts)]
    await target_repository.insert_targets(
        session,
        [
            {
                "id": target_id,
                "post_id": post_id,
                "tenant_id": tenant_id,
                "account_id": str(account_ids[n]),
                "network": "sandbox",
                "status": TargetStatus.scheduled.value,
                "due_at": due_at,
                "created_at": now,
                "updated_at": now,
            }
            for n, target_id in enumerate(target_ids)
        ],
    )
    return Seeded(post_id, target_ids)


Seed = Callable[..., Awaitable[Seeded]]


@pytest.fixture
def seed(db_session: AsyncSession, unique: Callable[[str], str]) -> Seed:
    """`await seed(due_at=..., accounts=n)` adds a post in the test's rolled-back session."""
    tenant_id = unique("tenant")

    async def add(*, due_at: datetime, accounts: int = 1) -> Seeded:
        return await seed_post(db_session, tenant_id=tenant_id, due_at=due_at, accounts=accounts)

    return add


@pytest.fixture
def sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """A sessionmaker whose transactions commit, for code that opens its own."""
    return create_sessionmaker(engine)


@pytest.fixture
async def seed_committed(
    sessionmaker: async_sessionmaker[AsyncSession], unique: Callable[[str], str]
) -> AsyncIterator[Seed]:
    """`await seed_committed(due_at=..., accounts=n)` commits a post; removed after the test."""
    tenant_id = unique("tenant")
    seeded: list[Seeded] = []

    async def seed(*, due_at: datetime | None = None, accounts: int = 1) -> Seeded:
        async with sessionmaker() as session, session.begin():
            result = await seed_post(
                session,
                tenant_id=tenant_id,
                due_at=due_at or datetime.now(UTC) - timedelta(seconds=1),
                accounts=accounts,
            )
        seeded.append(result)
        return result

    yield seed
    # Committed rows would otherwise fall due for every later scheduler in the session.
    async with sessionmaker() as session, session.begin():
        await session.execute(delete(post).where(post.c.tenant_id == tenant_id))
        await session.execute(delete(account).where(account.c.tenant_id == tenant_id))
        await session.execute(
            delete(outbox).where(outbox.c.key.in_([str(s.post_id) for s in seeded]))
        )


@pytest.fixture
def configure_brand(engine: AsyncEngine) -> Callable[..., Awaitable[BrandConfigured]]:
    """`await configure_brand(tenant, brand_id, timezone=..., approval_required=...)`: the
    workspace's `brand.configured` for the brand, handled (and committed) as the consumer does."""

    async def configure(tenant_id: str, brand_id: str, **settings: object) -> BrandConfigured:
        event = workspace_brand(brand_id, **settings)
        envelope = Envelope.build(
            event, tenant_id=tenant_id, subject=brand_id, source="/beacon/workspace"
        )
        async with create_sessionmaker(engine)() as session, session.begin():
            await brand_configured(session, envelope)
        return event

    return configure
