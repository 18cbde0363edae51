"""The workspace's connected accounts kept as ingest's own: a connected page receives its
webhooks under its organization and brand, pollers and network actions sign in with the event's
credentials and a refreshed token from the next call on, stale versions change nothing,
disconnected and deauthorized accounts stop, and events that cannot be applied are refused
whole."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from cryptography.fernet import Fernet
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import SecretStr
from sqlalchemy import Row, select, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from structlog.testing import capture_logs

from beacon_shared.contracts.common import Network
from beacon_shared.contracts.moderation import ActionRequested, NetworkAction
from beacon_shared.contracts.workspace import (
    AccountConnected,
    AccountCredentialsChanged,
    AccountDisconnected,
    AccountKind,
    ConnectedAccount,
    ConnectionDeauthorized,
)
from beacon_shared.crypto import SecretBox
from beacon_shared.db import create_sessionmaker
from beacon_shared.events import Envelope, EventPayload, MalformedEvent
from ingest.accounts import polling
from ingest.accounts import service as accounts
from ingest.accounts.crypto import credential_box
from ingest.accounts.handlers import AccountKeys, accounts_consumer
from ingest.accounts.models import connected_account
from ingest.accounts.schemas import PolledAccount
from ingest.actions.executor import ActionExecutor, RetryPolicy
from ingest.actions.handlers import handle_action_requested
from ingest.actions.networks.mastodon import MastodonClient
from ingest.actions.networks.x import XClient
from ingest.config import Settings
from ingest.interactions.models import interaction
from ingest.main import create_app
from ingest.pollers.runner import PollRunner

pytestmark = pytest.mark.integration

EVENT_KEY = SecretStr(Fernet.generate_key().decode())
INGEST_KEY = SecretStr(Fernet.generate_key().decode())
EVENTS = SecretBox(EVENT_KEY, setting="NETWORK_CREDENTIALS_KEYS")
INGEST = credential_box(INGEST_KEY)
KEYS = AccountKeys(events=EVENT_KEY, ingest=INGEST_KEY)
META_SECRET = "5f1d3b7a9c2e4f6a8b0d1c3e5a7b9d2f"
MASTODON = "https://mastodon.test"
X_API = "https://x.test"


@dataclass
class FakeNetworks:
    """X's hide call and a Mastodon instance's notifications, noting the token of every call."""

    tokens: list[tuple[str, str]] = field(default_factory=list)  # (call, bearer token)
    mentions: list[dict[str, Any]] = field(default_factory=list)

    def app(self) -> FastAPI:
        app = FastAPI()

        def bearer(request: Request) -> str:
            return request.headers.get("authorization", "").removeprefix("Bearer ")

        @app.put("/2/tweets/{tweet_id}/hidden")
        async def hide(tweet_id: str, request: Request) -> JSONResponse:
            self.tokens.append((f"hide {tweet_id}", bearer(request)))
            return JSONResponse({"data": {"hidden": True}})

        @app.get("/api/v1/notifications")
        async def notifications(request: Request) -> JSONResponse:
            self.tokens.append(("notifications", bearer(request)))
            return JSONResponse(self.mentions)

        return app


def mention(nid: int) -> dict[str, Any]:
    at = datetime.now(UTC).isoformat().replace("+00:00", "Z")
    return {
        "id": str(nid),
        "type": "mention",
        "created_at": at,
        "account": {"id": "901", "acct": "fan@other.example", "display_name": "Fan"},
        "status": {
            "id": f"1100{nid}",
            "created_at": at,
            "in_reply_to_id": None,
            "content": "<p>Hello @brand</p>",
            "visibility": "public",
        },
    }


@dataclass
class Registry:
    """Builds the workspace's account events for one organization and applies them as the
    `ingest.accounts` group does, each in a committed transaction of its own."""

    tenant_id: str
    sessionmaker: async_sessionmaker[AsyncSession]
    handlers: dict[str, Any] = field(
        default_factory=lambda: dict(accounts_consumer(KEYS).batch_handlers)
    )

    def account(
        self,
        kind: AccountKind,
        network: Network,
        *,
        version: int = 1,
        external_id: str | None = None,
        account_id: uuid.UUID | None = None,
    ) -> ConnectedAccount:
        return ConnectedAccount(
            account_id=account_id or uuid.uuid4(),
            brand_id="brand-1",
            network=network,
            kind=kind,
            external_id=external_id or uuid.uuid4().hex,
            handle="acme",
            display_name="Acme",
            scopes=["write"],
            version=version,
        )

    def connected(
        self, account: ConnectedAccount, credentials: dict[str, str], *, box: SecretBox = EVENTS
    ) -> Envelope:
        return self.envelope(
            AccountConnected(
                account=account,
                credentials=box.encrypt(credentials).decode("ascii"),
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

    def deauthorized(self, account: ConnectedAccount) -> Envelope:
        return self.envelope(
            ConnectionDeauthorized(account=account, reason="invalid_grant", at=datetime.now(UTC)),
            account,
        )

    def envelope(self, payload: EventPayload, account: ConnectedAccount) -> Envelope:
        return Envelope.build(
            payload,
            tenant_id=self.tenant_id,
            subject=str(account.account_id),
            source="/beacon/workspace",
        )

    async def deliver(self, envelope: Envelope) -> None:
        async with self.sessionmaker() as session, session.begin():
            await self.handlers[envelope.type](session, [envelope])

    async def row(self, account: ConnectedAccount) -> Row[Any] | None:
        async with self.sessionmaker() as session:
            result = await session.execute(
                select(connected_account).where(connected_account.c.id == account.account_id)
            )
            return result.first()

    async def credentials(self, account: ConnectedAccount) -> dict[str, str] | None:
        row = await self.row(account)
        assert row is not None
        return INGEST.decrypt(row.credentials_encrypted) if row.credentials_encrypted else None


def later() -> datetime:
    # A minute ahead, so that requests stored now are due.
    return datetime.now(UTC) + timedelta(minutes=1)


@pytest.fixture
def sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return create_sessionmaker(engine)


@pytest.fixture
async def registry(sessionmaker, unique) -> AsyncIterator[Registry]:
    """The test's organization; its accounts and actions are removed afterwards (executors
    claim whatever is due, whoever's it is)."""
    tenant = unique("tenant")
    yield Registry(tenant, sessionmaker)
    async with sessionmaker() as session, session.begin():
        for table in ("network_action", "connected_account"):
            await session.execute(
                text(f"DELETE FROM ingest.{table} WHERE tenant_id = :t"), {"t": tenant}
            )


@pytest.fixture
def networks() -> FakeNetworks:
    return FakeNetworks()


@pytest.fixture
async def http(networks) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=networks.app()), timeout=5
    ) as client:
        yield client


@pytest.fixture
def executor(sessionmaker, http) -> ActionExecutor:
    return ActionExecutor(
        sessionmaker=sessionmaker,
        client=http,
        credentials_key=INGEST_KEY,
        clients=[XClient(base_url=X_API, now=later), MastodonClient(now=later)],
        policy=RetryPolicy(max_attempts=3, backoff_seconds=10),
        now=later,
    )


@pytest.fixture
def poller(sessionmaker, http) -> PollRunner:
    return PollRunner(sessionmaker=sessionmaker, client=http, credentials_key=INGEST_KEY)


async def request_hide(registry: Registry, account: ConnectedAccount, tweet: str) -> uuid.UUID:
    """Deliver (and commit) moderation's request to hide a post through the account."""
    request = ActionRequested(
        action_id=uuid.uuid4(),
        decision_id=uuid.uuid4(),
        interaction_id=uuid.uuid4(),
        brand_id="brand-1",
        account_id=str(account.account_id),
        network=account.network,
        external_id=tweet,
        thread_external_id="post-1",
        action=NetworkAction.hide,
        reply_text=None,
        author_handle=None,
        requested_by="rule:spam",
        comment_created_at=datetime.now(UTC) - timedelta(minutes=5),
        requested_at=datetime.now(UTC),
    )
    envelope = Envelope.build(
        request,
        tenant_id=registry.tenant_id,
        subject=str(request.action_id),
        source="/beacon/moderation",
    )
    async with registry.sessionmaker() as session, session.begin():
        await handle_action_requested(session, [envelope])
    return request.action_id


async def action_row(registry: Registry, action_id: uuid.UUID) -> Row[Any]:
    async with registry.sessionmaker() as session:
        result = await session.execute(
            text("SELECT status, last_error AS error FROM ingest.network_action WHERE id = :id"),
            {"id": action_id},
        )
        return result.one()


def polled(account: ConnectedAccount, tenant_id: str) -> PolledAccount:
    return PolledAccount(
        id=account.account_id,
        tenant_id=tenant_id,
        network=account.network,
        external_account_id=account.external_id,
    )


async def deliver_to_meta(
    settings_for: Any, api_client: Any, page: str, comment_id: str
) -> dict[str, Any]:
    """A signed Meta delivery of one comment on the page, to a fresh API (no cached lookup)."""
    body = json.dumps(
        {
            "object": "page",
            "entry": [
                {
                    "id": page,
                    "time": int(datetime.now(UTC).timestamp()),
                    "changes": [
                        {
                            "field": "feed",
                            "value": {
                                "from": {"id": "3141592653", "name": "Ada Lovelace"},
                                "post_id": f"{page}_777",
                                "created_time": int(datetime.now(UTC).timestamp()),
                                "item": "comment",
                                "verb": "add",
                                "comment_id": comment_id,
                                "message": "Where to buy?",
                            },
                        }
                    ],
                }
            ],
        }
    ).encode()
    digest = hmac.new(META_SECRET.encode(), body, hashlib.sha256).hexdigest()
    settings = settings_for(Settings, meta_app_secret=META_SECRET)
    async with api_client(create_app(settings)) as client:
        response = await client.post(
            "/v1/webhooks/meta",
            content=body,
            headers={"Content-Type": "application/json", "X-Hub-Signature-256": f"sha256={digest}"},
        )
    assert response.status_code == 200
    answer: dict[str, Any] = response.json()
    return answer


class TestWebhooks:
    async def test_a_page_connected_in_the_workspace_receives_its_comments_under_its_brand(
        self, registry, settings_for, api_client
    ):
        page = registry.account(AccountKind.facebook_page, Network.facebook)
        await registry.deliver(registry.connected(page, {"access_token": "page-token"}))

        answer = await deliver_to_meta(settings_for, api_client, page.external_id, "777_1")

        assert answer == {"stored": 1, "duplicates": 0, "own_activity": 0, "skipped": 0}
        async with registry.sessionmaker() as session:
            rows = (
                await session.execute(
                    select(interaction).where(interaction.c.tenant_id == registry.tenant_id)
                )
            ).all()
        assert [(r.external_id, r.brand_id, r.account_id, r.network) for r in rows] == [
            ("777_1", "brand-1", str(page.account_id), "facebook")
        ]

    async def test_a_disconnected_page_s_deliveries_are_left_out(
        self, registry, settings_for, api_client
    ):
        page = registry.account(AccountKind.facebook_page, Network.facebook)
        await registry.deliver(registry.connected(page, {"access_token": "page-token"}))
        await registry.deliver(registry.disconnected(page.model_copy(update={"version": 2})))

        answer = await deliver_to_meta(settings_for, api_client, page.external_id, "777_2")

        assert answer == {"stored": 0, "duplicates": 0, "own_activity": 0, "skipped": 1}
        row = await registry.row(page)
        assert row is not None
        assert (row.status, row.credentials_encrypted) == ("disconnected", None)


class TestCredentials:
    async def test_an_action_uses_the_event_s_token_and_the_refreshed_one_from_the_next_call(
        self, registry, executor, networks, caplog
    ):
        caplog.set_level(logging.DEBUG)
        x = registry.account(AccountKind.x_user, Network.x)
        with capture_logs() as logs:
            await registry.deliver(
                registry.connected(x, {"access_token": "tok-1", "refresh_token": "refresh-1"})
            )
            first = await request_hide(registry, x, "1860000000000000001")
            await executor.run_due()

            await registry.deliver(
                registry.changed(
                    x.model_copy(update={"version": 2}),
                    {"access_token": "tok-2", "refresh_token": "refresh-2"},
                )
            )
            second = await request_hide(registry, x, "1860000000000000002")
            await executor.run_due()

        assert networks.tokens == [
            ("hide 1860000000000000001", "tok-1"),
            ("hide 1860000000000000002", "tok-2"),
        ]
        assert (await action_row(registry, first)).status == "succeeded"
        assert (await action_row(registry, second)).status == "succeeded"
        # The refresh token stays in the workspace, which alone refreshes.
        assert await registry.credentials(x) == {"access_token": "tok-2"}
        # Wherever the logs go (structlog's capture before logging is configured, the standard
        # library after), they name the account, never its tokens.
        written = caplog.text + repr(logs)
        assert "account.replicated" in written
        assert not any(token in written for token in ("tok-1", "tok-2", "refresh-"))

    async def test_a_mastodon_account_is_polled_with_the_event_s_credentials(
        self, registry, poller, networks
    ):
        account = registry.account(AccountKind.mastodon, Network.mastodon)
        networks.mentions = [mention(7)]
        await registry.deliver(
            registry.connected(account, {"base_url": MASTODON, "access_token": "masto-1"})
        )

        outcome = await poller.poll_account(polled(account, registry.tenant_id))

        assert (outcome.outcome, outcome.stored) == ("stored", 1)
        assert networks.tokens == [("notifications", "masto-1")]
        async with registry.sessionmaker() as session:
            stored = (
                await session.execute(
                    select(interaction.c.brand_id, interaction.c.account_id).where(
                        interaction.c.tenant_id == registry.tenant_id
                    )
                )
            ).all()
        assert [tuple(r) for r in stored] == [("brand-1", str(account.account_id))]

    async def test_a_stale_version_changes_nothing(self, registry):
        x = registry.account(AccountKind.x_user, Network.x, version=3)
        await registry.deliver(registry.connected(x, {"access_token": "tok-3"}))

        await registry.deliver(
            registry.changed(x.model_copy(update={"version": 2}), {"access_token": "tok-2"})
        )
        await registry.deliver(registry.connected(x, {"access_token": "tok-3-again"}))
        await registry.deliver(registry.disconnected(x.model_copy(update={"version": 1})))
        await registry.deliver(registry.deauthorized(x.model_copy(update={"version": 3})))

        row = await registry.row(x)
        assert row is not None
        assert (row.status, row.workspace_version) == ("active", 3)
        assert await registry.credentials(x) == {"access_token": "tok-3"}

    async def test_bluesky_keeps_the_app_password_not_the_session(self, registry):
        bluesky = registry.account(AccountKind.bluesky, Network.bluesky)
        await registry.deliver(
            registry.connected(
                bluesky,
                {
                    "service": "https://pds.test",
                    "identifier": "acme.test",
                    "app_password": "app-pass",
                    "access_jwt": "jwt-a",
                    "refresh_jwt": "jwt-r",
                },
            )
        )

        assert await registry.credentials(bluesky) == {
            "service": "https://pds.test",
            "identifier": "acme.test",
            "app_password": "app-pass",
        }


class TestStopping:
    async def test_a_disconnected_account_is_neither_polled_nor_acted_through_until_reconnected(
        self, registry, poller, executor, networks
    ):
        account = registry.account(AccountKind.mastodon, Network.mastodon)
        credentials = {"base_url": MASTODON, "access_token": "masto-1"}
        x = registry.account(AccountKind.x_user, Network.x)
        await registry.deliver(registry.connected(account, credentials))
        await registry.deliver(registry.connected(x, {"access_token": "tok-1"}))
        await registry.deliver(registry.disconnected(account.model_copy(update={"version": 2})))
        await registry.deliver(registry.disconnected(x.model_copy(update={"version": 2})))

        async with registry.sessionmaker() as session:
            pollable = await polling.pollable_accounts(
                session, networks=[Network.mastodon], now=later()
            )
        outcome = await poller.poll_account(polled(account, registry.tenant_id))
        action = await request_hide(registry, x, "1860000000000000004")
        await executor.run_due()

        assert account.account_id not in {a.id for a in pollable}
        assert outcome.outcome == "resting"
        row = await action_row(registry, action)
        assert row.status == "failed"
        assert "disconnected" in row.error
        assert networks.tokens == []
        assert await registry.credentials(account) is None

        await registry.deliver(
            registry.connected(account.model_copy(update={"version": 3}), credentials)
        )
        outcome = await poller.poll_account(polled(account, registry.tenant_id))
        assert outcome.outcome == "stored"
        assert networks.tokens == [("notifications", "masto-1")]

    async def test_a_deauthorized_account_needs_reauth_and_calls_the_network_no_more(
        self, registry, executor, networks
    ):
        x = registry.account(AccountKind.x_user, Network.x)
        await registry.deliver(registry.connected(x, {"access_token": "tok-1"}))
        await registry.deliver(registry.deauthorized(x.model_copy(update={"version": 2})))

        action = await request_hide(registry, x, "1860000000000000003")
        await executor.run_due()

        row = await registry.row(x)
        assert row is not None
        assert row.status == "needs_reauth"
        done = await action_row(registry, action)
        assert done.status == "failed"
        assert "re-authorisation" in done.error
        assert networks.tokens == []
        # Connected again, it is active with its new token.
        await registry.deliver(
            registry.connected(x.model_copy(update={"version": 3}), {"access_token": "tok-9"})
        )
        assert (await registry.row(x)).status == "active"  # type: ignore[union-attr]
        assert await registry.credentials(x) == {"access_token": "tok-9"}


class TestRefused:
    @pytest.mark.parametrize(
        ("case", "reason"),
        [
            ("another key", "cannot be opened"),
            ("no token", "lack access_token"),
            ("kind on another network", "it is a x account"),
            ("unknown kind", "does not match"),
        ],
    )
    async def test_an_event_that_cannot_be_applied_is_malformed_and_changes_nothing(
        self, registry, case, reason, caplog
    ):
        caplog.set_level(logging.DEBUG)
        x = registry.account(AccountKind.x_user, Network.x)
        stranger = SecretBox(SecretStr(Fernet.generate_key().decode()), setting="another key")
        secret = f"tok-{uuid.uuid4().hex}"
        envelope = {
            "another key": lambda: registry.connected(x, {"access_token": secret}, box=stranger),
            "no token": lambda: registry.connected(x, {"refresh_token": secret}),
            "kind on another network": lambda: registry.connected(
                x.model_copy(update={"network": Network.mastodon}), {"access_token": secret}
            ),
            "unknown kind": lambda: unknown_kind(registry.connected(x, {"access_token": secret})),
        }[case]()

        with capture_logs() as logs, pytest.raises(MalformedEvent) as refused:
            await registry.deliver(envelope)

        assert reason in str(refused.value)
        assert secret not in str(refused.value)
        assert secret not in caplog.text + repr(logs)
        assert await registry.row(x) is None

    async def test_a_network_account_of_another_organization_is_malformed(
        self, registry, sessionmaker, unique
    ):
        page = registry.account(AccountKind.facebook_page, Network.facebook)
        await registry.deliver(registry.connected(page, {"access_token": "ours"}))
        other = Registry(unique("tenant"), sessionmaker)
        theirs = other.account(
            AccountKind.facebook_page, Network.facebook, external_id=page.external_id
        )

        with pytest.raises(MalformedEvent, match="another organization"):
            await other.deliver(other.connected(theirs, {"access_token": "theirs"}))

        assert await other.row(theirs) is None
        assert await registry.credentials(page) == {"access_token": "ours"}

    async def test_linkedin_accounts_are_left_aside(self, registry):
        member = registry.account(AccountKind.linkedin_member, Network.linkedin)

        await registry.deliver(registry.connected(member, {"access_token": "li"}))
        await registry.deliver(registry.disconnected(member.model_copy(update={"version": 2})))

        assert await registry.row(member) is None


async def test_an_account_connected_through_ingest_s_api_is_taken_over_by_the_registry(
    registry, keep
):
    external_id = uuid.uuid4().hex
    async with registry.sessionmaker() as session, session.begin():
        own_id = await keep(
            session,
            tenant_id=registry.tenant_id,
            network=Network.mastodon,
            external_id=external_id,
            credentials={"base_url": MASTODON, "access_token": "old"},
            ingest_key=INGEST_KEY,
            legacy=True,
        )
        await polling.save_cursor(
            session, tenant_id=registry.tenant_id, account_id=own_id, cursor="42"
        )
    account = registry.account(AccountKind.mastodon, Network.mastodon, external_id=external_id)
    never_kept = registry.account(
        AccountKind.mastodon, Network.mastodon, external_id=external_id, version=5
    )

    # A disconnection of a registry account ingest never kept leaves the one connected here.
    await registry.deliver(registry.disconnected(never_kept))
    async with registry.sessionmaker() as session:
        untouched = await accounts.get(session, tenant_id=registry.tenant_id, account_id=own_id)
    await registry.deliver(
        registry.connected(account, {"base_url": MASTODON, "access_token": "new"})
    )

    async with registry.sessionmaker() as session:
        rows = (
            await session.execute(
                select(connected_account).where(connected_account.c.tenant_id == registry.tenant_id)
            )
        ).all()
    assert (untouched.status, untouched.has_credentials) == ("active", True)
    assert await registry.row(never_kept) is None
    assert [(r.id, r.poll_cursor, r.workspace_version) for r in rows] == [
        (account.account_id, "42", 1)
    ]
    assert await registry.credentials(account) == {"base_url": MASTODON, "access_token": "new"}


def unknown_kind(envelope: Envelope) -> Envelope:
    data = dict(envelope.data)
    data["account"] = {**data["account"], "kind": "myspace_page"}
    return envelope.model_copy(update={"data": data})
