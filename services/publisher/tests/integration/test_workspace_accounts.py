"""The workspace's connected accounts kept as the publisher's own: each kind as its connector
reads it, the newest version winning, refreshed tokens used from the next publish, disconnected
and deauthorized accounts stopping with their targets flagged at once, and events that cannot be
applied refused whole."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from cryptography.fernet import Fernet
from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse
from pydantic import SecretStr
from sqlalchemy import Row, delete, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from beacon_shared.contracts.common import Network
from beacon_shared.contracts.workspace import (
    AccountConnected,
    AccountCredentialsChanged,
    AccountDisconnected,
    AccountKind,
    ConnectedAccount,
    ConnectionDeauthorized,
)
from beacon_shared.crypto import SecretBox
from beacon_shared.egress import EgressPolicy
from beacon_shared.events import Envelope, EventPayload, MalformedEvent, decode
from beacon_shared.network_credentials import EventKeyMissing
from beacon_shared.testing.fake_networks import NoNetwork
from publisher.accounts.handlers import AccountKeys, accounts_consumer
from publisher.accounts.models import account
from publisher.authoring import service as posts
from publisher.authoring.models import post
from publisher.authoring.schemas import PostIn
from publisher.connectors.rate_limits import RateLimitBook
from publisher.connectors.registry import BUILT_IN_NETWORKS, ConnectorRegistry
from publisher.connectors.x import XConnector
from publisher.db import outbox
from publisher.delivery.models import post_target
from publisher.scheduling.scheduler import Scheduler, SchedulerConfig
from publisher.webhooks import service as webhooks
from publisher.webhooks.models import webhook_delivery
from publisher.webhooks.schemas import EndpointIn

pytestmark = pytest.mark.integration

EVENT_KEY = SecretStr(Fernet.generate_key().decode())
PUBLISHER_KEY = SecretStr(Fernet.generate_key().decode())
EVENTS = SecretBox(EVENT_KEY, setting="NETWORK_CREDENTIALS_KEYS")
PUBLISHER = SecretBox(PUBLISHER_KEY, setting="PUBLISHER_CREDENTIALS_KEY")
KEYS = AccountKeys(events=EVENT_KEY, publisher=PUBLISHER)
X_HOST = "x.test"


@dataclass
class Registry:
    """Builds the workspace's account events for one tenant and hands them to the consumer's
    handlers, in the session given."""

    tenant_id: str
    handlers: dict[str, Any] = field(
        default_factory=lambda: dict(accounts_consumer(KEYS).batch_handlers)
    )

    def account(
        self,
        kind: AccountKind,
        network: Network,
        *,
        version: int,
        account_id: uuid.UUID | None = None,
        external_id: str = "1001",
        instance_url: str | None = None,
    ) -> ConnectedAccount:
        return ConnectedAccount(
            account_id=account_id or uuid.uuid4(),
            brand_id="brand-1",
            network=network,
            kind=kind,
            external_id=external_id,
            handle="acme",
            display_name="Acme",
            instance_url=instance_url,
            scopes=["write"],
            version=version,
        )

    def x(self, *, version: int, account_id: uuid.UUID | None = None) -> ConnectedAccount:
        return self.account(AccountKind.x_user, Network.x, version=version, account_id=account_id)

    def connected(self, account: ConnectedAccount, credentials: dict[str, str]) -> Envelope:
        return self.envelope(
            AccountConnected(
                account=account,
                credentials=EVENTS.encrypt(credentials).decode("ascii"),
                reconnected=False,
                connected_by="user:u-1",
                at=datetime.now(UTC),
            ),
            account,
        )

    def changed(self, account: ConnectedAccount, credentials: dict[str, str]) -> Envelope:
        return self.envelope(
            AccountCredentialsChanged(
                account=account,
                credentials=EVENTS.encrypt(credentials).decode("ascii"),
                at=datetime.now(UTC),
            ),
            account,
        )

    def disconnected(self, account: ConnectedAccount) -> Envelope:
        return self.envelope(
            AccountDisconnected(account=account, disconnected_by="user:u-1", at=datetime.now(UTC)),
            account,
        )

    def deauthorized(self, account: ConnectedAccount, reason: str) -> Envelope:
        return self.envelope(
            ConnectionDeauthorized(account=account, reason=reason, at=datetime.now(UTC)), account
        )

    def envelope(self, payload: EventPayload, account: ConnectedAccount) -> Envelope:
        return Envelope.build(
            payload,
            tenant_id=self.tenant_id,
            subject=str(account.account_id),
            source="/beacon/workspace",
        )

    async def deliver(self, session: AsyncSession, envelope: Envelope) -> None:
        await self.handlers[envelope.type](session, [envelope])


@pytest.fixture
def registry(unique: Callable[[str], str]) -> Registry:
    return Registry(unique("tenant"))


async def row_of(session: AsyncSession, account_id: uuid.UUID) -> Row[Any] | None:
    result = await session.execute(select(account).where(account.c.id == account_id))
    return result.first()


def opened(row: Row[Any]) -> dict[str, str]:
    return PUBLISHER.decrypt(row.credentials_encrypted)


async def scheduled_post(
    session: AsyncSession, tenant_id: str, account_id: uuid.UUID, *, due: datetime
) -> posts.PostRecord:
    created = await posts.create(
        session,
        tenant_id=tenant_id,
        actor="key:test",
        body=PostIn.model_validate(
            {
                "text": f"Doors open at nine {uuid.uuid4().hex[:6]}",
                "targets": [{"account_id": str(account_id)}],
                "scheduled_at": due,
            }
        ),
        idempotency_key=None,
        tolerance=timedelta(seconds=5),
        networks=BUILT_IN_NETWORKS,
    )
    return created.record


async def target_of(session: AsyncSession, record: posts.PostRecord) -> Row[Any]:
    result = await session.execute(
        select(post_target).where(post_target.c.id == record.targets[0].id)
    )
    return result.one()


async def endpoint(session: AsyncSession, tenant_id: str, event_type: str) -> uuid.UUID:
    created = await webhooks.create_endpoint(
        session,
        tenant_id=tenant_id,
        body=EndpointIn(url="https://hooks.example.com/beacon", event_types=[event_type]),
        box=PUBLISHER,
        egress=EgressPolicy(),
    )
    return created.endpoint.id


async def deliveries(session: AsyncSession, endpoint_id: uuid.UUID) -> list[Row[Any]]:
    result = await session.execute(
        select(webhook_delivery.c.event_type, webhook_delivery.c.payload).where(
            webhook_delivery.c.endpoint_id == endpoint_id
        )
    )
    return list(result.all())


KINDS = [
    pytest.param(
        AccountKind.facebook_page,
        Network.facebook,
        "1001",
        None,
        {"access_token": "page-token"},
        {"page_access_token": "page-token"},
        id="facebook page",
    ),
    pytest.param(
        AccountKind.instagram_business,
        Network.instagram,
        "1001",
        None,
        {"access_token": "page-token", "page_id": "77"},
        {"access_token": "page-token"},
        id="instagram business",
    ),
    pytest.param(
        AccountKind.x_user,
        Network.x,
        "1001",
        None,
        {"access_token": "x-access", "refresh_token": "x-refresh"},
        {"access_token": "x-access"},
        id="x user",
    ),
    pytest.param(
        AccountKind.linkedin_member,
        Network.linkedin,
        "urn:li:person:1001",
        None,
        {"access_token": "li-access", "refresh_token": "li-refresh"},
        {"access_token": "li-access"},
        id="linkedin member",
    ),
    pytest.param(
        AccountKind.linkedin_organization,
        Network.linkedin,
        "urn:li:organization:1001",
        None,
        {"access_token": "li-access"},
        {"access_token": "li-access"},
        id="linkedin organization",
    ),
    pytest.param(
        AccountKind.mastodon,
        Network.mastodon,
        "1001",
        "https://mastodon.example",
        {"base_url": "https://mastodon.example", "access_token": "masto-token"},
        {"access_token": "masto-token"},
        id="mastodon",
    ),
    pytest.param(
        AccountKind.bluesky,
        Network.bluesky,
        "1001",
        "https://pds.example",
        {
            "service": "https://pds.example",
            "identifier": "acme.example",
            "app_password": "abcd-efgh-ijkl-mnop",
            "access_jwt": "jwt-a",
            "refresh_jwt": "jwt-r",
        },
        {"identifier": "acme.example", "app_password": "abcd-efgh-ijkl-mnop"},
        id="bluesky",
    ),
]


class TestTheReplica:
    @pytest.mark.parametrize(("kind", "network", "posts_as", "instance", "theirs", "ours"), KINDS)
    async def test_each_kind_is_kept_as_its_connector_reads_it(
        self, db_session, registry, kind, network, posts_as, instance, theirs, ours
    ):
        connected = registry.account(kind, network, version=1, instance_url=instance)

        await registry.deliver(db_session, registry.connected(connected, theirs))

        row = await row_of(db_session, connected.account_id)
        assert row is not None
        assert (row.tenant_id, row.brand_id, row.network) == (
            registry.tenant_id,
            "brand-1",
            network.value,
        )
        assert (row.external_account_id, row.instance_url) == (posts_as, instance)
        assert (row.handle, row.display_name) == ("acme", "Acme")
        assert (row.status, row.source, row.workspace_version) == ("active", "workspace", 1)
        assert opened(row) == ours

    async def test_a_refreshed_token_replaces_the_old_one(self, db_session, registry):
        x = registry.x(version=1)
        await registry.deliver(db_session, registry.connected(x, {"access_token": "tok-1"}))

        refreshed = x.model_copy(update={"version": 2})
        await registry.deliver(db_session, registry.changed(refreshed, {"access_token": "tok-2"}))

        row = await row_of(db_session, x.account_id)
        assert opened(row) == {"access_token": "tok-2"}
        assert row.workspace_version == 2

    async def test_an_event_older_than_the_row_changes_nothing(self, db_session, registry):
        x = registry.x(version=3)
        await registry.deliver(db_session, registry.connected(x, {"access_token": "tok-3"}))
        before = await row_of(db_session, x.account_id)

        older = x.model_copy(update={"version": 2, "handle": "old-handle"})
        await registry.deliver(db_session, registry.changed(older, {"access_token": "tok-2"}))
        await registry.deliver(db_session, registry.deauthorized(older, "invalid_grant"))
        await registry.deliver(db_session, registry.disconnected(older))
        same = x.model_copy(update={"handle": "same-version"})
        await registry.deliver(db_session, registry.changed(same, {"access_token": "tok-3b"}))

        after = await row_of(db_session, x.account_id)
        assert after == before
        assert opened(after) == {"access_token": "tok-3"}

    async def test_a_deauthorization_that_overtook_its_connection_is_kept(
        self, db_session, registry
    ):
        x = registry.x(version=2)
        await registry.deliver(db_session, registry.deauthorized(x, "invalid_grant"))
        connected = x.model_copy(update={"version": 1})
        await registry.deliver(db_session, registry.connected(connected, {"access_token": "t"}))

        row = await row_of(db_session, x.account_id)
        assert (row.status, row.status_reason, row.workspace_version) == (
            "needs_reauth",
            "invalid_grant",
            2,
        )
        assert row.credentials_encrypted is None

    async def test_a_paused_account_stays_paused_when_its_token_is_refreshed(
        self, db_session, registry
    ):
        x = registry.x(version=1)
        await registry.deliver(db_session, registry.connected(x, {"access_token": "tok-1"}))
        await db_session.execute(
            account.update().where(account.c.id == x.account_id).values(status="paused")
        )

        refreshed = x.model_copy(update={"version": 2})
        await registry.deliver(db_session, registry.changed(refreshed, {"access_token": "tok-2"}))

        row = await row_of(db_session, x.account_id)
        assert row.status == "paused"
        assert opened(row) == {"access_token": "tok-2"}

    async def test_another_tenant_s_event_for_the_account_changes_nothing(
        self, db_session, registry, unique
    ):
        x = registry.x(version=1)
        await registry.deliver(db_session, registry.connected(x, {"access_token": "tok-1"}))
        intruder = Registry(unique("tenant"))

        newer = x.model_copy(update={"version": 2})
        await intruder.deliver(db_session, intruder.changed(newer, {"access_token": "theirs"}))

        row = await row_of(db_session, x.account_id)
        assert (row.tenant_id, row.workspace_version) == (registry.tenant_id, 1)
        assert opened(row) == {"access_token": "tok-1"}


class TestAnAccountThatStops:
    async def test_a_deauthorized_account_flags_its_targets_and_tells_the_tenant_at_once(
        self, db_session, registry
    ):
        hook = await endpoint(db_session, registry.tenant_id, "account.needs_reauth")
        x = registry.x(version=1)
        await registry.deliver(db_session, registry.connected(x, {"access_token": "tok-1"}))
        due = datetime.now(UTC) + timedelta(hours=6)
        first = await scheduled_post(db_session, registry.tenant_id, x.account_id, due=due)
        later = await scheduled_post(
            db_session, registry.tenant_id, x.account_id, due=due + timedelta(days=1)
        )

        refused = x.model_copy(update={"version": 2})
        await registry.deliver(db_session, registry.deauthorized(refused, "invalid_grant"))

        row = await row_of(db_session, x.account_id)
        assert (row.status, row.status_reason) == ("needs_reauth", "invalid_grant")
        # The credentials stay until new ones replace them.
        assert opened(row) == {"access_token": "tok-1"}
        for record in (first, later):
            target = await target_of(db_session, record)
            assert target.status == "scheduled"
            assert target.warning == "the account needs reconnecting: invalid_grant"
            assert target.warning_kind == "credentials"
        ((event_type, payload),) = await deliveries(db_session, hook)
        assert event_type == "account.needs_reauth"
        data = payload["data"]
        assert (data["account_id"], data["network"], data["reason"]) == (
            str(x.account_id),
            "x",
            "invalid_grant",
        )
        assert data["targets_flagged"] == 2
        assert [t["post_id"] for t in data["targets"]] == [str(first.post.id), str(later.post.id)]

    async def test_a_post_on_an_account_already_stopped_is_flagged_from_the_start(
        self, db_session, registry
    ):
        x = registry.x(version=1)
        await registry.deliver(db_session, registry.connected(x, {"access_token": "tok-1"}))
        await registry.deliver(
            db_session,
            registry.deauthorized(x.model_copy(update={"version": 2}), "invalid_grant"),
        )
        due = datetime.now(UTC) + timedelta(hours=6)

        record = await scheduled_post(db_session, registry.tenant_id, x.account_id, due=due)

        target = await target_of(db_session, record)
        assert (target.status, target.warning_kind) == ("scheduled", "credentials")
        assert target.warning == "the account needs reconnecting: invalid_grant"

    async def test_connected_again_the_account_is_active_and_its_targets_unflagged(
        self, db_session, registry
    ):
        x = registry.x(version=1)
        await registry.deliver(db_session, registry.connected(x, {"access_token": "tok-1"}))
        due = datetime.now(UTC) + timedelta(hours=6)
        record = await scheduled_post(db_session, registry.tenant_id, x.account_id, due=due)
        await registry.deliver(
            db_session,
            registry.deauthorized(x.model_copy(update={"version": 2}), "invalid_grant"),
        )

        again = x.model_copy(update={"version": 3})
        await registry.deliver(db_session, registry.connected(again, {"access_token": "tok-3"}))

        row = await row_of(db_session, x.account_id)
        assert (row.status, row.status_reason) == ("active", None)
        assert opened(row) == {"access_token": "tok-3"}
        target = await target_of(db_session, record)
        assert (target.warning, target.warning_kind) == (None, None)

    async def test_a_disconnected_account_loses_its_credentials_and_flags_its_targets(
        self, db_session, registry
    ):
        hook = await endpoint(db_session, registry.tenant_id, "account.disconnected")
        x = registry.x(version=1)
        await registry.deliver(db_session, registry.connected(x, {"access_token": "tok-1"}))
        due = datetime.now(UTC) + timedelta(hours=6)
        record = await scheduled_post(db_session, registry.tenant_id, x.account_id, due=due)

        gone = x.model_copy(update={"version": 2})
        await registry.deliver(db_session, registry.disconnected(gone))

        row = await row_of(db_session, x.account_id)
        assert (row.status, row.credentials_encrypted) == ("disconnected", None)
        target = await target_of(db_session, record)
        assert (target.status, target.warning_kind) == ("scheduled", "account")
        assert target.warning == "the account was disconnected in the workspace"
        ((event_type, payload),) = await deliveries(db_session, hook)
        assert event_type == "account.disconnected"
        assert payload["data"]["disconnected_by"] == "user:u-1"
        assert payload["data"]["targets_flagged"] == 1


class TestAnEventThatCannotBeApplied:
    async def test_credentials_the_key_cannot_open_are_refused_and_nothing_is_kept(
        self, db_session, registry
    ):
        x = registry.x(version=1)
        other = SecretBox(SecretStr(Fernet.generate_key().decode()), setting="other")
        event = registry.connected(x, {"access_token": "tok-1"})
        sealed = other.encrypt({"access_token": "secret-tok"}).decode("ascii")
        forged = event.model_copy(update={"data": {**event.data, "credentials": sealed}})

        with pytest.raises(MalformedEvent, match="cannot be opened") as refused:
            await registry.deliver(db_session, forged)

        assert "secret-tok" not in str(refused.value)
        assert await row_of(db_session, x.account_id) is None

    async def test_without_the_event_key_it_is_retried_rather_than_called_malformed(
        self, db_session, registry
    ):
        x = registry.x(version=1)
        keyless = dict(accounts_consumer(AccountKeys.none()).batch_handlers)
        event = registry.connected(x, {"access_token": "tok-1"})

        with pytest.raises(EventKeyMissing, match="NETWORK_CREDENTIALS_KEYS"):
            await keyless[event.type](db_session, [event])

        assert await row_of(db_session, x.account_id) is None

    async def test_an_unknown_kind_is_refused(self, db_session, registry):
        x = registry.x(version=1)
        event = registry.connected(x, {"access_token": "tok-1"})
        unknown = {**event.data["account"], "kind": "myspace_page"}
        changed = event.model_copy(update={"data": {**event.data, "account": unknown}})

        with pytest.raises(MalformedEvent):
            await registry.deliver(db_session, changed)

        assert await row_of(db_session, x.account_id) is None

    async def test_a_kind_on_another_network_is_refused(self, db_session, registry):
        wrong = registry.account(AccountKind.x_user, Network.mastodon, version=1)

        with pytest.raises(MalformedEvent, match="x_user account on mastodon"):
            await registry.deliver(db_session, registry.connected(wrong, {"access_token": "t"}))

        assert await row_of(db_session, wrong.account_id) is None

    async def test_credentials_lacking_what_the_connector_reads_are_refused_unshown(
        self, db_session, registry
    ):
        sky = registry.account(
            AccountKind.bluesky, Network.bluesky, version=1, instance_url="https://pds.example"
        )
        partial = {"identifier": "acme.example", "access_jwt": "jwt-secret"}

        with pytest.raises(MalformedEvent, match="lack app_password") as refused:
            await registry.deliver(db_session, registry.connected(sky, partial))

        assert "jwt-secret" not in str(refused.value)
        assert await row_of(db_session, sky.account_id) is None


@dataclass
class FakeX:
    """X's POST /2/tweets, remembering the Authorization header of each post and refusing the
    tokens in `expired` as X refuses an expired token."""

    authorizations: list[str] = field(default_factory=list)
    expired: set[str] = field(default_factory=set)
    # Awaited before a refusal: what happens meanwhile elsewhere (a refresh landing).
    while_refusing: Callable[[], Awaitable[None]] | None = None

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.post("/2/tweets")
        async def create(request: Request) -> Response:
            authorization = request.headers.get("authorization", "")
            self.authorizations.append(authorization)
            if authorization.removeprefix("Bearer ") in self.expired:
                if self.while_refusing is not None:
                    await self.while_refusing()
                return JSONResponse(
                    {
                        "title": "Unauthorized",
                        "type": "about:blank",
                        "status": 401,
                        "detail": "Unauthorized",
                    },
                    status_code=401,
                )
            body = await request.json()
            post_id = f"19{len(self.authorizations):05d}"
            return JSONResponse({"data": {"id": post_id, "text": body["text"]}}, status_code=201)

        return app


@pytest.fixture
async def tenant(
    sessionmaker: async_sessionmaker[AsyncSession], unique: Callable[[str], str]
) -> AsyncIterator[str]:
    """A tenant whose committed posts, accounts and events are removed after the test."""
    tenant_id = unique("tenant")
    yield tenant_id
    async with sessionmaker() as session, session.begin():
        post_ids = list(
            await session.scalars(select(post.c.id).where(post.c.tenant_id == tenant_id))
        )
        await session.execute(delete(outbox).where(outbox.c.key.in_([str(i) for i in post_ids])))
        await session.execute(delete(post).where(post.c.tenant_id == tenant_id))
        await session.execute(delete(account).where(account.c.tenant_id == tenant_id))


class TestPublishingAsAWorkspaceAccount:
    @pytest.fixture
    async def fake_x(self) -> AsyncIterator[tuple[FakeX, httpx.AsyncClient]]:
        fake = FakeX()
        http = httpx.AsyncClient(
            transport=NoNetwork(),
            mounts={f"all://{X_HOST}": httpx.ASGITransport(app=fake.app())},
            timeout=5,
        )
        yield fake, http
        await http.aclose()

    async def test_a_post_goes_out_with_the_workspace_s_token_then_with_the_refreshed_one(
        self, sessionmaker, tenant, fake_x
    ):
        fake, http = fake_x
        scheduler = Scheduler(
            sessionmaker=sessionmaker,
            connectors=ConnectorRegistry(
                [XConnector(http, RateLimitBook(), base_url=f"https://{X_HOST}")]
            ),
            config=SchedulerConfig(worker_id="test-worker"),
            box=PUBLISHER,
            http=http,
        )
        registry = Registry(tenant)
        x = registry.x(version=1)

        async def deliver(envelope: Envelope) -> None:
            async with sessionmaker() as session, session.begin():
                await registry.deliver(session, envelope)

        async def publish_one() -> Row[Any]:
            async with sessionmaker() as session, session.begin():
                record = await scheduled_post(session, tenant, x.account_id, due=datetime.now(UTC))
            await scheduler.tick()
            async with sessionmaker() as session:
                return await target_of(session, record)

        await deliver(registry.connected(x, {"access_token": "tok-1", "refresh_token": "r-1"}))
        first = await publish_one()
        refreshed = x.model_copy(update={"version": 2})
        await deliver(registry.changed(refreshed, {"access_token": "tok-2", "refresh_token": "r"}))
        second = await publish_one()

        assert (first.status, second.status) == ("published", "published")
        assert fake.authorizations == ["Bearer tok-1", "Bearer tok-2"]

        await deliver(registry.disconnected(x.model_copy(update={"version": 3})))
        third = await publish_one()

        assert (third.status, third.failure_kind) == ("failed", "account")
        assert third.error == "the account was disconnected in the workspace"
        assert len(fake.authorizations) == 2


class TestATokenTheNetworkRefuses:
    """A workspace account's token refused: the registry asked once to refresh it, the target
    waiting for the new token, then a person asked for when that does not do."""

    @pytest.fixture
    async def fake_x(self) -> AsyncIterator[tuple[FakeX, httpx.AsyncClient]]:
        fake = FakeX(expired={"tok-1"})
        http = httpx.AsyncClient(
            transport=NoNetwork(),
            mounts={f"all://{X_HOST}": httpx.ASGITransport(app=fake.app())},
            timeout=5,
        )
        yield fake, http
        await http.aclose()

    @staticmethod
    def scheduler(sessionmaker, http: httpx.AsyncClient, wait: timedelta) -> Scheduler:
        return Scheduler(
            sessionmaker=sessionmaker,
            connectors=ConnectorRegistry(
                [XConnector(http, RateLimitBook(), base_url=f"https://{X_HOST}")]
            ),
            config=SchedulerConfig(worker_id="test-worker", refresh_wait=wait),
            box=PUBLISHER,
            http=http,
        )

    @staticmethod
    async def refresh_requests(sessionmaker, account_id: uuid.UUID) -> list[Envelope]:
        async with sessionmaker() as session:
            values = await session.scalars(
                select(outbox.c.value).where(
                    outbox.c.key == str(account_id), outbox.c.topic == "account.refresh.requested"
                )
            )
            return [decode(value) for value in values]

    async def connected_with_a_post_due(self, sessionmaker, tenant):
        registry = Registry(tenant)
        x = registry.x(version=1)
        async with sessionmaker() as session, session.begin():
            await registry.deliver(session, registry.connected(x, {"access_token": "tok-1"}))
            record = await scheduled_post(session, tenant, x.account_id, due=datetime.now(UTC))
        return registry, x, record

    async def test_the_post_waits_for_the_refreshed_token_and_goes_out_with_it(
        self, sessionmaker, tenant, fake_x
    ):
        fake, http = fake_x
        scheduler = self.scheduler(sessionmaker, http, timedelta(minutes=2))
        registry, x, record = await self.connected_with_a_post_due(sessionmaker, tenant)

        await scheduler.tick()

        async with sessionmaker() as session:
            waiting = await target_of(session, record)
            held = await row_of(session, x.account_id)
        assert (waiting.status, waiting.warning_kind) == ("scheduled", "refresh")
        assert waiting.due_at > datetime.now(UTC) + timedelta(seconds=90)
        assert held.status == "active"
        (request,) = await self.refresh_requests(sessionmaker, x.account_id)
        assert request.type == "publisher.account.refresh_requested"
        assert (request.data["version"], request.tenantid) == (1, tenant)

        async with sessionmaker() as session, session.begin():
            await registry.deliver(
                session,
                registry.changed(x.model_copy(update={"version": 2}), {"access_token": "tok-2"}),
            )
        await scheduler.tick()

        async with sessionmaker() as session:
            out = await target_of(session, record)
        assert (out.status, out.warning) == ("published", None)
        assert fake.authorizations == ["Bearer tok-1", "Bearer tok-2"]
        assert len(await self.refresh_requests(sessionmaker, x.account_id)) == 1

    async def test_a_refreshed_token_refused_too_needs_a_person(self, sessionmaker, tenant, fake_x):
        fake, http = fake_x
        fake.expired.add("tok-2")
        scheduler = self.scheduler(sessionmaker, http, timedelta(minutes=2))
        registry, x, record = await self.connected_with_a_post_due(sessionmaker, tenant)
        # Valid for two hours by the registry's word, refused all the same: not a late refresh.
        valid = datetime.now(UTC) + timedelta(hours=2)

        await scheduler.tick()
        async with sessionmaker() as session, session.begin():
            await registry.deliver(
                session,
                registry.changed(
                    x.model_copy(update={"version": 2, "access_expires_at": valid}),
                    {"access_token": "tok-2"},
                ),
            )
        await scheduler.tick()

        async with sessionmaker() as session:
            failed = await target_of(session, record)
            held = await row_of(session, x.account_id)
        assert (failed.status, failed.failure_kind) == ("failed", "credentials")
        assert held.status == "needs_reauth"
        assert fake.authorizations == ["Bearer tok-1", "Bearer tok-2"]
        assert len(await self.refresh_requests(sessionmaker, x.account_id)) == 1

    async def test_a_refreshed_token_refused_past_its_expiry_is_refreshed_again(
        self, sessionmaker, tenant, fake_x
    ):
        # The refresher late twice within the hour (a compressed day, an outage): the grant is
        # fine, so the registry is asked again instead of the account being flagged.
        fake, http = fake_x
        fake.expired.add("tok-2")
        scheduler = self.scheduler(sessionmaker, http, timedelta(minutes=2))
        registry, x, record = await self.connected_with_a_post_due(sessionmaker, tenant)
        lapsed = datetime.now(UTC) - timedelta(seconds=1)

        async def changed(version: int, token: str, expires: datetime) -> None:
            account = x.model_copy(update={"version": version, "access_expires_at": expires})
            async with sessionmaker() as session, session.begin():
                await registry.deliver(session, registry.changed(account, {"access_token": token}))

        await scheduler.tick()
        await changed(2, "tok-2", lapsed)
        await scheduler.tick()

        async with sessionmaker() as session:
            waiting = await target_of(session, record)
            held = await row_of(session, x.account_id)
        assert (waiting.status, waiting.warning_kind) == ("scheduled", "refresh")
        assert held.status == "active"
        requests = await self.refresh_requests(sessionmaker, x.account_id)
        assert sorted(r.data["version"] for r in requests) == [1, 2]

        await changed(3, "tok-3", datetime.now(UTC) + timedelta(hours=2))
        await scheduler.tick()

        async with sessionmaker() as session:
            out = await target_of(session, record)
        assert out.status == "published"
        assert fake.authorizations == ["Bearer tok-1", "Bearer tok-2", "Bearer tok-3"]

    async def test_a_token_refused_after_its_refresh_landed_is_retried_with_the_new_one(
        self, sessionmaker, tenant, fake_x
    ):
        fake, http = fake_x
        scheduler = self.scheduler(sessionmaker, http, timedelta(minutes=2))
        registry, x, record = await self.connected_with_a_post_due(sessionmaker, tenant)

        async def refreshed_meanwhile() -> None:
            async with sessionmaker() as session, session.begin():
                await registry.deliver(
                    session,
                    registry.changed(
                        x.model_copy(update={"version": 2}), {"access_token": "tok-2"}
                    ),
                )

        fake.while_refusing = refreshed_meanwhile
        await scheduler.tick()
        fake.while_refusing = None

        async with sessionmaker() as session:
            again = await target_of(session, record)
            held = await row_of(session, x.account_id)
        assert again.status == "scheduled"
        assert again.due_at <= datetime.now(UTC)
        assert held.status == "active"
        assert await self.refresh_requests(sessionmaker, x.account_id) == []

        await scheduler.tick()

        async with sessionmaker() as session:
            out = await target_of(session, record)
        assert out.status == "published"
        assert fake.authorizations == ["Bearer tok-1", "Bearer tok-2"]

    async def test_a_refresh_that_does_not_come_in_time_needs_a_person(
        self, sessionmaker, tenant, fake_x
    ):
        fake, http = fake_x
        scheduler = self.scheduler(sessionmaker, http, timedelta(milliseconds=200))
        _, x, record = await self.connected_with_a_post_due(sessionmaker, tenant)

        await scheduler.tick()
        await asyncio.sleep(0.3)
        await scheduler.tick()

        async with sessionmaker() as session:
            failed = await target_of(session, record)
            held = await row_of(session, x.account_id)
        assert (failed.status, failed.failure_kind) == ("failed", "credentials")
        assert held.status == "needs_reauth"
        assert fake.authorizations == ["Bearer tok-1", "Bearer tok-1"]
        assert len(await self.refresh_requests(sessionmaker, x.account_id)) == 1


class TestNothingSensitive:
    async def test_no_token_is_logged_shown_or_sent_on_through_an_account_s_life(
        self, db_session, registry, caplog, capsys
    ):
        tokens = [f"secret-{n}-{uuid.uuid4().hex}" for n in range(4)]
        hooks = [
            await endpoint(db_session, registry.tenant_id, event_type)
            for event_type in ("account.needs_reauth", "account.disconnected")
        ]
        x = registry.x(version=1)
        due = datetime.now(UTC) + timedelta(hours=6)
        other = SecretBox(SecretStr(Fernet.generate_key().decode()), setting="other")
        unreadable = registry.connected(x, {"access_token": tokens[3]})
        unreadable = unreadable.model_copy(
            update={
                "data": {
                    **unreadable.data,
                    "credentials": other.encrypt({"access_token": tokens[3]}).decode(),
                }
            }
        )

        # Logs go through the standard library once logging is configured, to stdout before.
        caplog.set_level(logging.DEBUG)
        await registry.deliver(
            db_session,
            registry.connected(x, {"access_token": tokens[0], "refresh_token": tokens[1]}),
        )
        await scheduled_post(db_session, registry.tenant_id, x.account_id, due=due)
        await registry.deliver(
            db_session,
            registry.changed(x.model_copy(update={"version": 2}), {"access_token": tokens[2]}),
        )
        with pytest.raises(MalformedEvent) as refused:
            await registry.deliver(db_session, unreadable)
        await registry.deliver(
            db_session, registry.deauthorized(x.model_copy(update={"version": 3}), "revoked")
        )
        await registry.deliver(
            db_session, registry.disconnected(x.model_copy(update={"version": 4}))
        )

        sent = [payload for hook in hooks for _, payload in await deliveries(db_session, hook)]
        assert len(sent) == 2
        logged = capsys.readouterr().out + caplog.text
        seen = logged + repr([r.msg for r in caplog.records]) + repr(sent) + str(refused.value)
        assert "account.replicated" in logged
        for token in tokens:
            assert token not in seen
