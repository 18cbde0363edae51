"""A token the network refuses flags its account, fails the post, and stops the account's posts."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

import httpx
import pytest
from sqlalchemy import Row, Table, delete, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from beacon_shared.contracts.common import Network
from beacon_shared.contracts.publisher import AccountDeauthorized, PostFailed
from beacon_shared.crypto import SecretBox
from beacon_shared.events import Envelope, decode
from beacon_shared.network_calls import CredentialsRefused
from beacon_shared.testing.fake_networks import NoNetwork
from publisher.accounts import service as accounts
from publisher.accounts.models import account
from publisher.accounts.schemas import AccountIn
from publisher.authoring import service
from publisher.authoring.models import post
from publisher.authoring.schemas import PostIn
from publisher.connectors.base import Account, PublishContent, PublishResult, RecentPost
from publisher.connectors.registry import BUILT_IN_NETWORKS, ConnectorRegistry
from publisher.db import outbox
from publisher.delivery.models import post_target
from publisher.scheduling.scheduler import Scheduler, SchedulerConfig

pytestmark = pytest.mark.integration

REASON = "the access token was revoked by the user"
NO_KEY = SecretBox(None, setting="PUBLISHER_CREDENTIALS_KEY")


class RevokedNetwork:
    """A network that refuses the token of every account, and remembers who asked."""

    network: ClassVar[Network] = Network.sandbox
    idempotency_window: ClassVar[timedelta | None] = None

    def __init__(self) -> None:
        self.publishers: list[uuid.UUID] = []

    async def publish(
        self, account: Account, content: PublishContent, idempotency_key: str
    ) -> PublishResult:
        self.publishers.append(account.id)
        raise CredentialsRefused(REASON)

    async def recent_posts(self, account: Account, since: datetime) -> list[RecentPost]:
        return []


@pytest.fixture
async def tenant(
    sessionmaker: async_sessionmaker[AsyncSession], unique: Callable[[str], str]
) -> AsyncIterator[str]:
    """A tenant whose committed posts, accounts and events are removed after the test."""
    tenant_id = unique("tenant")
    yield tenant_id
    async with sessionmaker() as session, session.begin():
        post_ids = await session.scalars(select(post.c.id).where(post.c.tenant_id == tenant_id))
        account_ids = await session.scalars(
            select(account.c.id).where(account.c.tenant_id == tenant_id)
        )
        keys = [str(i) for i in [*post_ids, *account_ids]]
        await session.execute(delete(outbox).where(outbox.c.key.in_(keys)))
        await session.execute(delete(post).where(post.c.tenant_id == tenant_id))
        await session.execute(delete(account).where(account.c.tenant_id == tenant_id))


async def connect(sessionmaker: async_sessionmaker[AsyncSession], tenant: str) -> uuid.UUID:
    async with sessionmaker() as session, session.begin():
        row = await accounts.connect(
            session,
            tenant_id=tenant,
            body=AccountIn(network=Network.sandbox, external_account_id=uuid.uuid4().hex),
            box=NO_KEY,
        )
    account_id: uuid.UUID = row.id
    return account_id


async def due_now(
    sessionmaker: async_sessionmaker[AsyncSession],
    tenant: str,
    account_id: uuid.UUID,
    *,
    at: datetime | None = None,
) -> service.PostRecord:
    """A post for the account scheduled for now (or `at`), committed."""
    async with sessionmaker() as session, session.begin():
        created = await service.create(
            session,
            tenant_id=tenant,
            actor="key:test",
            body=PostIn.model_validate(
                {
                    "text": "Doors open at nine",
                    "targets": [{"account_id": str(account_id)}],
                    "scheduled_at": at or datetime.now(UTC),
                }
            ),
            idempotency_key=None,
            tolerance=timedelta(seconds=5),
            networks=BUILT_IN_NETWORKS,
        )
    return created.record


async def staged(
    sessionmaker: async_sessionmaker[AsyncSession], key: object, topic: str
) -> list[Envelope]:
    async with sessionmaker() as session:
        values = await session.execute(
            select(outbox.c.value)
            .where(outbox.c.key == str(key), outbox.c.topic == topic)
            .order_by(outbox.c.id)
        )
        return [decode(v) for v in values.scalars()]


async def read(
    sessionmaker: async_sessionmaker[AsyncSession], table: Table, row_id: uuid.UUID
) -> Row[Any]:
    async with sessionmaker() as session:
        return (await session.execute(select(table).where(table.c.id == row_id))).one()


async def test_a_refused_token_flags_the_account_and_fails_its_posts_without_calling_again(
    sessionmaker, tenant
):
    network = RevokedNetwork()
    jobs = Scheduler(
        sessionmaker=sessionmaker,
        connectors=ConnectorRegistry([network]),
        config=SchedulerConfig(worker_id="test-worker"),
        box=NO_KEY,
        http=httpx.AsyncClient(transport=NoNetwork()),
    )
    account_id = await connect(sessionmaker, tenant)
    first = await due_now(sessionmaker, tenant, account_id)
    tomorrow = await due_now(
        sessionmaker, tenant, account_id, at=datetime.now(UTC) + timedelta(days=1)
    )

    await jobs.tick()

    flagged = await read(sessionmaker, account, account_id)
    failed = await read(sessionmaker, post_target, first.targets[0].id)
    assert (flagged.status, flagged.status_reason) == ("needs_reauth", REASON)
    assert (failed.status, failed.failure_kind) == ("failed", "credentials")
    assert failed.error == f"the account needs reconnecting: {REASON}"
    assert (await read(sessionmaker, post, first.post.id)).status == "failed"
    # The account's post due tomorrow is flagged now, not when it fails.
    ahead = await read(sessionmaker, post_target, tomorrow.targets[0].id)
    assert (ahead.status, ahead.warning_kind) == ("scheduled", "credentials")
    assert ahead.warning == f"the account needs reconnecting: {REASON}"
    assert network.publishers.count(account_id) == 1
    (deauthorized,) = await staged(sessionmaker, account_id, "account.deauthorized")
    event = deauthorized.payload(AccountDeauthorized)
    assert (event.account_id, event.network, event.reason) == (account_id, "sandbox", REASON)
    assert deauthorized.tenantid == tenant
    (post_failed,) = await staged(sessionmaker, first.post.id, "post.failed")
    assert post_failed.payload(PostFailed).kind == "credentials"

    second = await due_now(sessionmaker, tenant, account_id)
    await jobs.tick()

    held = await read(sessionmaker, post_target, second.targets[0].id)
    assert (held.status, held.failure_kind) == ("failed", "credentials")
    assert REASON in held.error
    # Known to be refused: the network is not asked again, nor the account flagged twice.
    assert network.publishers.count(account_id) == 1
    assert len(await staged(sessionmaker, account_id, "account.deauthorized")) == 1
    (second_failed,) = await staged(sessionmaker, second.post.id, "post.failed")
    assert second_failed.payload(PostFailed).reason == held.error
