"""The refresher: tokens renewed ahead of expiry with the rotated refresh token stored in the
same transaction, one refresher per token, a refusal for good marking the account."""

from __future__ import annotations

import asyncio
import socket
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update

from services.workspace.tests.connections.conftest import (
    CREDENTIALS_KEY,
    EVENT_KEY,
    mine,
    opened,
    outcome,
)
from workspace.connections import repository
from workspace.connections.models import connected_account
from workspace.connections.refresh import REFRESHABLE, Refresher

pytestmark = pytest.mark.integration


async def expiring(engine, account_id: str, *, in_seconds: float = 60) -> None:
    """Make the account's access token expire soon (within the refresh margin)."""
    async with engine.begin() as conn:
        await conn.execute(
            update(connected_account)
            .where(connected_account.c.id == account_id)
            .values(access_expires_at=datetime.now(UTC) + timedelta(seconds=in_seconds))
        )


async def test_an_x_token_is_renewed_with_its_rotated_refresh_token(
    harness, refresher, networks, engine
):
    async with harness() as h:
        account_id = outcome(await h.connect("x"))["accounts"]
        before = await mine(h, account_id)
        old = opened(before.credentials, CREDENTIALS_KEY)
        await expiring(engine, account_id)
        async with refresher() as r:
            await r.refresh_due()
        after = await mine(h, account_id)
        events = await h.events()

    new = opened(after.credentials, CREDENTIALS_KEY)
    assert after.status == "active"
    assert new["access_token"] != old["access_token"]
    assert new["refresh_token"] != old["refresh_token"]
    assert new["refresh_token"] in networks.x.refresh_tokens  # the one X will take next
    assert old["refresh_token"] not in networks.x.refresh_tokens  # spent by the rotation
    assert after.access_expires_at - datetime.now(UTC) > timedelta(hours=1, minutes=55)
    assert after.version == before.version + 1
    assert after.refresh_claimed_until is None
    changed = [e for e in events if e["type"] == "workspace.account.credentials.changed"]
    assert len(changed) == 1
    # The services get the new access token; the refresh token never leaves the registry.
    assert opened(changed[0]["data"]["credentials"], EVENT_KEY) == {
        k: v for k, v in new.items() if k != "refresh_token"
    }
    assert changed[0]["data"]["account"]["version"] == after.version


async def test_two_refreshers_at_once_refresh_a_token_once(harness, refresher, networks, engine):
    async with harness() as h:
        account_id = outcome(await h.connect("x"))["accounts"]
        await expiring(engine, account_id)
        async with refresher() as first, refresher() as second:
            await asyncio.gather(first.refresh_due(), second.refresh_due())
        after = await mine(h, account_id)
        events = await h.events()

    # Had both used the refresh token, X would have refused the second: needs_reauth.
    assert after.status == "active"
    assert opened(after.credentials, CREDENTIALS_KEY)["refresh_token"] in (
        networks.x.refresh_tokens
    )
    assert [e["type"] for e in events].count("workspace.account.credentials.changed") == 1


async def test_a_refused_refresh_marks_the_account_and_says_so(
    harness, refresher, networks, engine
):
    async with harness() as h:
        account_id = outcome(await h.connect("x"))["accounts"]
        await expiring(engine, account_id)
        networks.x.token_error = "invalid_request"
        async with refresher() as r:
            await r.refresh_due()
        after = await mine(h, account_id)
        events = await h.events()
        audit = await h.audit()
        shown = (await h.http.get(f"/v1/connected-accounts/{account_id}")).json()

    assert after.status == "needs_reauth"
    assert after.status_reason == "invalid_request"
    assert shown["status"] == "needs_reauth"
    deauthorized = [e for e in events if e["type"] == "workspace.account.deauthorized"]
    assert len(deauthorized) == 1
    assert deauthorized[0]["data"]["reason"] == "invalid_request"
    assert "credentials" not in deauthorized[0]["data"]
    assert audit[-1] == ("account.deauthorized", "worker:refresher")


async def test_a_network_out_of_reach_is_tried_again_after_the_lease(
    harness, refresher, networks, engine
):
    with socket.create_server(("127.0.0.1", 0)) as closed:
        port = closed.getsockname()[1]
    async with harness() as h:
        account_id = outcome(await h.connect("x"))["accounts"]
        await expiring(engine, account_id)
        async with refresher(x_api_url=f"http://127.0.0.1:{port}") as r:
            await r.refresh_due()
        after = await mine(h, account_id)
        events = await h.events()

    assert after.status == "active"
    assert after.refresh_failures == 1
    assert after.refresh_claimed_until > datetime.now(UTC)
    assert [e["type"] for e in events] == ["workspace.account.connected"]


async def test_a_reconnection_during_a_refresh_wins(harness, refresher, networks, engine):
    async with harness() as h:
        account_id = outcome(await h.connect("x"))["accounts"]
        await expiring(engine, account_id)
        async with refresher() as r:
            [claimed] = [row for row in await _claim(r) if str(row.id) == account_id]
            await h.connect("x")  # the person connects it again meanwhile
            result = await r._refresh(claimed)
        after = await mine(h, account_id)

    assert result == "superseded"
    assert after.status == "active"
    assert opened(after.credentials, CREDENTIALS_KEY)["refresh_token"] in (
        networks.x.refresh_tokens
    )


async def _claim(r: Refresher):
    now = datetime.now(UTC)
    async with r.sessionmaker() as session, session.begin():
        return await repository.claim_due(
            session,
            kinds=REFRESHABLE,
            due_before=now + timedelta(minutes=15),
            now=now,
            lease_until=now + timedelta(minutes=1),
            limit=100,
        )


async def test_linkedin_tokens_are_renewed_for_the_member_and_each_organization(
    harness, refresher, networks, engine
):
    async with harness() as h:
        ids = outcome(await h.connect("linkedin"))["accounts"].split(",")
        before = {str(r.id): r for r in await h.accounts()}
        for account_id in ids:
            await expiring(engine, account_id, in_seconds=600)
        async with refresher() as r:
            await r.refresh_due()
        after = {str(r.id): r for r in await h.accounts()}

    for account_id in ids:
        old = opened(before[account_id].credentials, CREDENTIALS_KEY)
        new = opened(after[account_id].credentials, CREDENTIALS_KEY)
        assert after[account_id].status == "active"
        assert new["access_token"] != old["access_token"]
        assert new["access_token"] in networks.linkedin.tokens
        assert new["refresh_token"] == old["refresh_token"]  # LinkedIn does not rotate it
        assert after[account_id].access_expires_at - datetime.now(UTC) > timedelta(days=59)
