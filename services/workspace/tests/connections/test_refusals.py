"""A token a network refused to the publisher: an X account refreshed at the refresher's next
pass, an account nothing can refresh marked needs-reauth at once, and a request about replaced
credentials ignored."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from beacon_shared.contracts.publisher import AccountRefreshRequested
from beacon_shared.db import create_sessionmaker
from beacon_shared.events import Envelope
from services.workspace.tests.connections.conftest import CREDENTIALS_KEY, mine, opened, outcome
from workspace.connections.refusals import publisher_refused

pytestmark = pytest.mark.integration


async def refused(engine, tenant_id: str, account_id: str, version: int) -> None:
    """The publisher's refresh request, as its consumer hands it over."""
    request = AccountRefreshRequested(
        account_id=account_id, version=version, reason="401 Unauthorized", at=datetime.now(UTC)
    )
    envelope = Envelope.build(
        request, tenant_id=tenant_id, subject=account_id, source="/beacon/publisher"
    )
    async with create_sessionmaker(engine)() as session, session.begin():
        await publisher_refused(session, envelope)


async def test_a_refused_x_token_is_refreshed_at_the_next_pass(
    harness, refresher, networks, engine
):
    async with harness() as h:
        account_id = outcome(await h.connect("x"))["accounts"]
        before = await mine(h, account_id)
        async with refresher() as r:
            assert await r.refresh_due() == []  # two hours left: nothing due
            await refused(engine, h.tenant_id, account_id, before.version)
            assert await r.refresh_due() == ["refreshed"]
        after = await mine(h, account_id)
        events = [e["type"] for e in await h.events()]

    assert after.status == "active"
    assert after.version == before.version + 1
    assert (
        opened(after.credentials, CREDENTIALS_KEY)["access_token"]
        != opened(before.credentials, CREDENTIALS_KEY)["access_token"]
    )
    assert events.count("workspace.account.credentials.changed") == 1


async def test_a_refused_token_nothing_renews_needs_a_person(harness, networks, engine):
    async with harness() as h:
        account_id = outcome(await h.connect("mastodon", instance=networks.mastodon.url))[
            "accounts"
        ]
        before = await mine(h, account_id)
        await refused(engine, h.tenant_id, account_id, before.version)
        after = await mine(h, account_id)
        events = await h.events()
        audit = await h.audit()

    assert (after.status, after.status_reason) == ("needs_reauth", "401 Unauthorized")
    (deauthorized,) = [e for e in events if e["type"] == "workspace.account.deauthorized"]
    assert deauthorized["data"]["reason"] == "401 Unauthorized"
    assert ("account.deauthorized", "service:publisher") in audit


async def test_a_request_about_replaced_credentials_changes_nothing(
    harness, refresher, networks, engine
):
    async with harness() as h:
        account_id = outcome(await h.connect("x"))["accounts"]
        before = await mine(h, account_id)
        await refused(engine, h.tenant_id, account_id, before.version - 1)
        async with refresher() as r:
            assert await r.refresh_due() == []
        after = await mine(h, account_id)

    assert after == before
