"""Tenants' secrets never leave the encrypted columns: not in any API answer, not in the logs (at
DEBUG, with request lines), not in any event a service stages for the broker, not in errors."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from cryptography.fernet import Fernet
from pydantic import SecretStr
from sqlalchemy import text

from beacon_shared.contracts.workspace import AccountKind, ConnectedAccount
from beacon_shared.db import create_sessionmaker
from beacon_shared.events import Envelope
from beacon_shared.testing.registry import account_connected, registry_account
from ingest.accounts.handlers import AccountHandlers as IngestHandlers
from ingest.accounts.handlers import AccountKeys as IngestKeys
from publisher.accounts.handlers import AccountHandlers as PublisherHandlers
from publisher.accounts.handlers import AccountKeys as PublisherKeys
from publisher.accounts.service import mark_needs_reauth

pytestmark = pytest.mark.integration

SCHEMAS = ("ingest", "moderation", "publisher", "analytics", "workspace")
EVENT_KEY = Fernet.generate_key().decode()


def connected(account: ConnectedAccount, tenant_id: str, credentials: dict[str, str]) -> Envelope:
    """The workspace's `account.connected` of the account, its credentials sealed."""
    return account_connected(
        account, tenant_id=tenant_id, event_keys=SecretStr(EVENT_KEY), credentials=credentials
    )


async def staged_events(engine) -> bytes:
    """Every event every service has staged: what the relays hand to the broker, verbatim."""
    async with engine.connect() as conn:
        rows = [
            row
            for schema in SCHEMAS
            for row in (
                await conn.execute(text(f"select value, headers::text from {schema}.outbox"))
            )
        ]
    return b"".join(bytes(value) + headers.encode() for value, headers in rows)


async def test_secrets_given_to_any_service_reach_no_answer_log_or_event(
    build_app, api_client, issue_api_key, unique, engine, capfd, settings_for
):
    token, password, refused = (f"{name}-{uuid.uuid4().hex}" for name in ("tok", "pw", "bad"))
    tenant_id = unique("tenant")
    key = await issue_api_key(tenant_id)
    answers: list[str] = []
    loud = {"log_requests": True, "log_level": "DEBUG", "network_credentials_keys": EVENT_KEY}
    # The network accounts are connected in the workspace, whose events carry their credentials
    # sealed; each service keeps them as its worker's group does.
    mastodon, bluesky, x = (
        registry_account(kind)
        for kind in (AccountKind.mastodon, AccountKind.bluesky, AccountKind.x_user)
    )

    ingest_app, publisher_app = build_app("ingest", **loud), build_app("publisher", **loud)
    async with api_client(ingest_app, key=key.key) as ingest:
        keys = IngestKeys(
            events=SecretStr(EVENT_KEY), ingest=ingest_app.state.settings.credentials_key
        )
        async with create_sessionmaker(engine)() as session, session.begin():
            for account, credentials in (
                (mastodon, {"base_url": "https://m.example", "access_token": token}),
                (
                    bluesky,
                    {
                        "service": "https://pds.example",
                        "identifier": "me.example",
                        "app_password": password,
                    },
                ),
            ):
                await IngestHandlers(keys).connected(
                    session, connected(account, tenant_id, credentials)
                )
        for body in (
            {
                "network": "sandbox",
                "external_account_id": uuid.uuid4().hex,
                "credentials": {"access_token": token},
            },
            # Refused for its network: the error must not echo the credentials either.
            {
                "network": "mastodon",
                "external_account_id": uuid.uuid4().hex,
                "credentials": {"base_url": "https://m.example", "access_token": refused},
            },
        ):
            response = await ingest.post("/v1/accounts", json=body)
            answers.append(response.text)
            if response.status_code == 201:
                answers.append((await ingest.get(f"/v1/accounts/{response.json()['id']}")).text)
        for account in (mastodon, bluesky):
            answers.append((await ingest.get(f"/v1/accounts/{account.account_id}")).text)
            answers.append(
                (
                    await ingest.patch(
                        f"/v1/accounts/{account.account_id}",
                        json={"credentials": {"access_token": refused}},
                    )
                ).text
            )
        answers.append((await ingest.get("/v1/accounts")).text)

    async with api_client(publisher_app, key=key.key) as publisher:
        keys = PublisherKeys.from_settings(publisher_app.state.settings)
        async with create_sessionmaker(engine)() as session, session.begin():
            await PublisherHandlers(keys).connected(
                session,
                connected(x, tenant_id, {"access_token": token, "refresh_token": password}),
            )
        sandbox = await publisher.post(
            "/v1/publishing-accounts",
            json={
                "network": "sandbox",
                "external_account_id": uuid.uuid4().hex,
                "credentials": {"access_token": token},
            },
        )
        assert sandbox.status_code == 201, sandbox.text
        answers.append(sandbox.text)
        answers.append((await publisher.get("/v1/publishing-accounts")).text)
        for account_id in (x.account_id, sandbox.json()["id"]):
            answers.append(
                (
                    await publisher.patch(
                        f"/v1/publishing-accounts/{account_id}",
                        json={"credentials": {"access_token": refused}},
                    )
                ).text
            )
        # The network refuses the token: the account's deauthorized event is staged.
        async with create_sessionmaker(engine)() as session, session.begin():
            assert await mark_needs_reauth(
                session,
                account_id=x.account_id,
                reason="x answered 401: invalid token",
                now=datetime.now(UTC),
            )
        answers.append((await publisher.get(f"/v1/publishing-accounts/{x.account_id}")).text)

    logged = "".join(capfd.readouterr())
    events = await staged_events(engine)
    assert "account.connected" in logged  # the logs were captured at all
    assert "account.replicated" in logged
    assert str(x.account_id).encode() in events  # and the account's deauthorized event
    for secret in (token, password, refused):
        assert not any(secret in answer for answer in answers), secret
        assert secret not in logged
        assert secret.encode() not in events
