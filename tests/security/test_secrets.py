"""Tenants' secrets never leave the encrypted columns: not in any API answer, not in the logs (at
DEBUG, with request lines), not in any event a service stages for the broker, not in errors."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import text

from beacon_shared.db import create_sessionmaker
from publisher.accounts.service import mark_needs_reauth

pytestmark = pytest.mark.integration

SCHEMAS = ("ingest", "moderation", "publisher", "analytics", "workspace")


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
    key = await issue_api_key(unique("tenant"))
    answers: list[str] = []
    loud = {"log_requests": True, "log_level": "DEBUG"}

    async with api_client(build_app("ingest", **loud), key=key.key) as ingest:
        for body in (
            {
                "network": "mastodon",
                "external_account_id": uuid.uuid4().hex,
                "credentials": {"base_url": "https://m.example", "access_token": token},
            },
            {
                "network": "bluesky",
                "external_account_id": f"did:plc:{uuid.uuid4().hex[:24]}",
                "credentials": {"identifier": "me.example", "app_password": password},
            },
            # Refused for its server URL: the error must not echo the credentials either.
            {
                "network": "mastodon",
                "external_account_id": uuid.uuid4().hex,
                "credentials": {"base_url": "https://127.1", "access_token": refused},
            },
        ):
            response = await ingest.post("/v1/accounts", json=body)
            answers.append(response.text)
            if response.status_code == 201:
                answers.append((await ingest.get(f"/v1/accounts/{response.json()['id']}")).text)
        answers.append((await ingest.get("/v1/accounts")).text)

    async with api_client(build_app("publisher", **loud), key=key.key) as publisher:
        account = await publisher.post(
            "/v1/publishing-accounts",
            json={
                "network": "x",
                "external_account_id": uuid.uuid4().hex,
                "credentials": {"access_token": token, "refresh_token": password},
            },
        )
        assert account.status_code == 201, account.text
        answers.append(account.text)
        answers.append((await publisher.get("/v1/publishing-accounts")).text)
        answers.append(
            (
                await publisher.patch(
                    f"/v1/publishing-accounts/{account.json()['id']}",
                    json={"credentials": {"access_token": token}},
                )
            ).text
        )
        # The network refuses the token: the account's deauthorized event is staged.
        async with create_sessionmaker(engine)() as session, session.begin():
            assert await mark_needs_reauth(
                session,
                account_id=uuid.UUID(account.json()["id"]),
                reason="x answered 401: invalid token",
                now=datetime.now(UTC),
            )
        answers.append(
            (await publisher.get(f"/v1/publishing-accounts/{account.json()['id']}")).text
        )

    logged = "".join(capfd.readouterr())
    events = await staged_events(engine)
    assert "account.connected" in logged  # the logs were captured at all
    assert account.json()["id"].encode() in events  # and the account's deauthorized event
    for secret in (token, password, refused):
        assert not any(secret in answer for answer in answers), secret
        assert secret not in logged
        assert secret.encode() not in events
