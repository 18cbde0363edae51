"""Accounts connected in the workspace, as the publishing accounts API shows them: listed with
their source and never their credentials; their credentials, brand and names are the
workspace's alone, their pause and queue the publisher's."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from cryptography.fernet import Fernet
from pydantic import SecretStr
from sqlalchemy import delete

from beacon_shared.contracts.common import Network
from beacon_shared.contracts.workspace import AccountConnected, AccountKind, ConnectedAccount
from beacon_shared.crypto import SecretBox
from beacon_shared.db import create_sessionmaker
from beacon_shared.events import Envelope
from publisher.accounts.handlers import AccountHandlers, AccountKeys
from publisher.accounts.models import account
from publisher.config import Settings
from publisher.main import create_app

pytestmark = pytest.mark.integration

TOKEN = "x-token-7c1e-very-secret"
EVENT_KEY = Fernet.generate_key().decode()


@pytest.fixture
def settings(settings_for) -> Settings:
    built: Settings = settings_for(
        Settings, credentials_key=Fernet.generate_key().decode(), network_credentials_keys=EVENT_KEY
    )
    return built


@pytest.fixture
async def connected(settings, engine, unique):
    """An X account connected in the workspace for a new tenant (committed); removed after."""
    tenant = unique("tenant")
    x = ConnectedAccount(
        account_id=uuid.uuid4(),
        brand_id="brand-1",
        network=Network.x,
        kind=AccountKind.x_user,
        external_id="2244994945",
        handle="acme",
        display_name="Acme",
        scopes=["tweet.write"],
        version=1,
    )
    events = SecretBox(SecretStr(EVENT_KEY), setting="NETWORK_CREDENTIALS_KEYS")
    event = AccountConnected(
        account=x,
        credentials=events.encrypt({"access_token": TOKEN, "refresh_token": "r"}).decode(),
        reconnected=False,
        connected_by="user:u-1",
        at=datetime.now(UTC),
    )
    envelope = Envelope.build(
        event, tenant_id=tenant, subject=str(x.account_id), source="/beacon/workspace"
    )
    async with create_sessionmaker(engine)() as session, session.begin():
        await AccountHandlers(AccountKeys.from_settings(settings)).connected(session, envelope)
    yield tenant, x
    async with engine.begin() as conn:
        await conn.execute(delete(account).where(account.c.tenant_id == tenant))


@pytest.fixture
async def client(settings, api_client, issue_api_key, register_brands, connected):
    tenant, _ = connected
    await register_brands(tenant, "brand-1", "brand-2")
    key = await issue_api_key(tenant)
    async with api_client(create_app(settings), key=key.key) as http:
        yield http


class TestAWorkspaceAccount:
    async def test_it_is_listed_with_its_source_and_without_its_credentials(
        self, client, connected
    ):
        _, x = connected

        listed = await client.get("/v1/publishing-accounts")

        assert listed.status_code == 200
        (shown,) = listed.json()["items"]
        assert shown["id"] == str(x.account_id)
        assert (shown["source"], shown["network"], shown["external_account_id"]) == (
            "workspace",
            "x",
            "2244994945",
        )
        assert (shown["has_credentials"], shown["status"]) == (True, "active")
        assert TOKEN not in listed.text

    async def test_its_credentials_brand_and_connection_are_the_workspace_s(
        self, client, connected
    ):
        _, x = connected
        path = f"/v1/publishing-accounts/{x.account_id}"

        credentials = await client.patch(path, json={"credentials": {"access_token": "mine"}})
        moved = await client.patch(path, json={"brand_id": "brand-2"})
        deleted = await client.delete(path)

        for refused in (credentials, moved, deleted):
            assert refused.status_code == 409
            assert refused.json()["code"] == "account_managed_in_workspace"
        assert "credentials" in credentials.json()["detail"]
        shown = (await client.get(path)).json()
        assert (shown["brand_id"], shown["status"]) == ("brand-1", "active")

    async def test_it_can_be_paused_here(self, client, connected):
        _, x = connected

        paused = await client.patch(
            f"/v1/publishing-accounts/{x.account_id}", json={"status": "paused"}
        )

        assert paused.status_code == 200
        assert paused.json()["status"] == "paused"
