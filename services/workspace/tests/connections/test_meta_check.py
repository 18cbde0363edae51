"""Meta's tokens kept honest: each Facebook Page and Instagram account's Page token is checked with
Graph's debug_token at most every interval; one Meta invalidated, or whose data access ends within
the margin, is marked needs_reauth with account.deauthorized before a post fails; a Graph out of
reach marks nothing and is asked again; two checkers check an account once."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pydantic import SecretStr
from sqlalchemy import update

from beacon_shared.crypto import SecretBox
from services.workspace.tests.connections.conftest import CREDENTIALS_KEY, Harness, outcome
from workspace.connections.meta_check import MetaChecker
from workspace.connections.models import connected_account

pytestmark = pytest.mark.integration
# One pass sees every account due in the test database, those of earlier tests included.
ALL_AT_ONCE = {"meta_check_batch_size": 1000}
PAGE, OTHER_PAGE, INSTAGRAM = (
    "facebook_page:1001",
    "facebook_page:1002",
    "instagram_business:17841400000000001",
)


class Clock:
    """Now, moved on by the test."""

    def __init__(self) -> None:
        self.offset = timedelta()

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset


async def until_quiet(one_pass: Callable[[], Awaitable[list[str]]]) -> list[str]:
    """Passes until one claims nothing; every outcome."""
    outcomes: list[str] = []
    while done := await one_pass():
        outcomes += done
    return outcomes


async def pages(h: Harness) -> dict[str, Any]:
    """The organization's Meta accounts by kind and network id."""
    return {f"{r.kind}:{r.external_id}": r for r in await h.accounts()}


async def connected(h: Harness) -> dict[str, Any]:
    assert outcome(await h.connect("facebook"))["connection"] == "connected"
    return await pages(h)


async def test_a_valid_token_is_left_alone_and_checked_again_only_after_the_interval(
    harness, worker_job, networks
):
    clock = Clock()
    async with harness() as h:
        before = await connected(h)
        token = networks.meta.page_tokens["1001"]
        async with worker_job(MetaChecker, now=clock, **ALL_AT_ONCE) as checker:
            first = await until_quiet(checker.check_due)
            checked = await pages(h)
            await until_quiet(checker.check_due)  # the same hour: nothing is due
            checks_within_the_interval = networks.meta.debugged[token]
            clock.offset = timedelta(hours=12, minutes=1)
            await until_quiet(checker.check_due)
        after = await pages(h)
        events = await h.events()

    assert "valid" in first
    # The Page and its Instagram account act with one token: two checks a round.
    assert checks_within_the_interval == 2
    assert networks.meta.debugged[token] == 4
    assert networks.meta.debugged[networks.meta.page_tokens["1002"]] == 2
    for key, row in checked.items():
        assert row.status == "active"
        assert row.version == before[key].version
        rest = row.refresh_claimed_until - datetime.now(UTC)
        assert timedelta(hours=11, minutes=59) < rest <= timedelta(hours=12)
    assert all(row.status == "active" for row in after.values())
    assert [e["type"] for e in events] == ["workspace.account.connected"] * 3


async def test_a_token_meta_invalidated_marks_its_accounts_and_says_so(
    harness, worker_job, networks
):
    async with harness() as h:
        await connected(h)
        networks.meta.invalid[networks.meta.page_tokens["1001"]] = 460  # password changed
        async with worker_job(MetaChecker, **ALL_AT_ONCE) as checker:
            outcomes = await until_quiet(checker.check_due)
        after = await pages(h)
        events = await h.events()
        audit = await h.audit()
        shown = (await h.http.get(f"/v1/connected-accounts/{after[PAGE].id}")).json()

    assert "deauthorized" in outcomes
    assert (after[PAGE].status, after[PAGE].status_reason) == ("needs_reauth", "password_changed")
    assert (after[INSTAGRAM].status, after[INSTAGRAM].status_reason) == (
        "needs_reauth",
        "password_changed",
    )
    assert after[OTHER_PAGE].status == "active"
    assert shown["status"] == "needs_reauth"
    deauthorized = [e for e in events if e["type"] == "workspace.account.deauthorized"]
    assert sorted(e["subject"] for e in deauthorized) == sorted(
        [str(after[PAGE].id), str(after[INSTAGRAM].id)]
    )
    assert {e["data"]["reason"] for e in deauthorized} == {"password_changed"}
    assert all("credentials" not in e["data"] for e in deauthorized)
    assert [e["data"]["account"]["version"] for e in deauthorized] == [2, 2]
    assert audit.count(("account.deauthorized", "worker:meta-check")) == 2


async def test_data_access_ending_within_the_margin_marks_the_account_before_it_does(
    harness, worker_job, networks
):
    now = int(datetime.now(UTC).timestamp())
    async with harness() as h:
        await connected(h)
        networks.meta.data_access_expires[networks.meta.page_tokens["1001"]] = now + 3 * 86400
        networks.meta.data_access_expires[networks.meta.page_tokens["1002"]] = now + 30 * 86400
        async with worker_job(MetaChecker, **ALL_AT_ONCE) as checker:
            await until_quiet(checker.check_due)
        after = await pages(h)
        events = await h.events()
        audit = await h.audit()

    assert (after[PAGE].status, after[PAGE].status_reason) == (
        "needs_reauth",
        "data_access_expiring",
    )
    assert after[INSTAGRAM].status == "needs_reauth"
    assert after[OTHER_PAGE].status == "active"  # 30 days left: outside the 7-day margin
    reasons = [e["data"]["reason"] for e in events if e["type"] == "workspace.account.deauthorized"]
    assert reasons == ["data_access_expiring", "data_access_expiring"]
    assert audit.count(("account.deauthorized", "worker:meta-check")) == 2


async def test_a_permission_revoked_marks_the_account(harness, worker_job, networks):
    async with harness() as h:
        await connected(h)
        networks.meta.scopes[networks.meta.page_tokens["1002"]] = ["pages_show_list"]
        async with worker_job(MetaChecker, **ALL_AT_ONCE) as checker:
            await until_quiet(checker.check_due)
        after = await pages(h)

    assert (after[OTHER_PAGE].status, after[OTHER_PAGE].status_reason) == (
        "needs_reauth",
        "permissions_revoked",
    )
    assert after[PAGE].status == "active"


async def test_graph_out_of_reach_marks_nothing_and_is_asked_again_after_the_lease(
    harness, worker_job, networks
):
    with socket.create_server(("127.0.0.1", 0)) as closed:
        port = closed.getsockname()[1]
    clock = Clock()
    async with harness() as h:
        before = await connected(h)
        token = networks.meta.page_tokens["1001"]
        async with worker_job(
            MetaChecker, now=clock, meta_graph_url=f"http://127.0.0.1:{port}", **ALL_AT_ONCE
        ) as down:
            outcomes = await until_quiet(down.check_due)
        during = await pages(h)
        clock.offset = timedelta(minutes=2)
        async with worker_job(MetaChecker, now=clock, **ALL_AT_ONCE) as back:
            await until_quiet(back.check_due)
        after = await pages(h)
        events = await h.events()

    assert set(outcomes) == {"retry"}
    for key, row in during.items():
        assert row.status == "active"
        assert row.version == before[key].version
        assert row.refresh_failures == 1
        assert row.refresh_claimed_until - datetime.now(UTC) <= timedelta(minutes=1)
    assert networks.meta.debugged[token] == 2  # only once Graph answered
    for row in after.values():
        assert row.status == "active"
        assert row.refresh_failures == 0
        assert row.refresh_claimed_until - datetime.now(UTC) > timedelta(hours=11)
    assert [e["type"] for e in events] == ["workspace.account.connected"] * 3


async def test_two_checkers_at_once_check_each_account_once(harness, worker_job, networks):
    async with harness() as h:
        await connected(h)
        networks.meta.invalid[networks.meta.page_tokens["1002"]] = 458  # the app removed
        async with (
            worker_job(MetaChecker, **ALL_AT_ONCE) as first,
            worker_job(MetaChecker, **ALL_AT_ONCE) as second,
        ):
            await asyncio.gather(until_quiet(first.check_due), until_quiet(second.check_due))
        after = await pages(h)
        events = await h.events()

    assert networks.meta.debugged[networks.meta.page_tokens["1001"]] == 2  # the Page, Instagram
    assert networks.meta.debugged[networks.meta.page_tokens["1002"]] == 1
    assert (after[OTHER_PAGE].status, after[OTHER_PAGE].status_reason) == (
        "needs_reauth",
        "app_removed",
    )
    assert [e["type"] for e in events].count("workspace.account.deauthorized") == 1


async def test_without_a_meta_app_nothing_is_checked(harness, worker_job, networks):
    async with harness() as h:
        await connected(h)
        async with worker_job(MetaChecker, meta_app_id=None, **ALL_AT_ONCE) as checker:
            outcomes = await checker.check_due()

    assert outcomes == []
    assert networks.meta.debugged[networks.meta.page_tokens["1001"]] == 0


async def test_an_account_without_a_token_needs_a_person(harness, worker_job, networks):
    async with harness() as h:
        before = await connected(h)
        sealed = SecretBox(SecretStr(CREDENTIALS_KEY), setting="test").encrypt({"page_id": "1001"})
        async with h.engine.begin() as conn:
            await conn.execute(
                update(connected_account)
                .where(connected_account.c.id == before[INSTAGRAM].id)
                .values(credentials=sealed)
            )
        async with worker_job(MetaChecker, **ALL_AT_ONCE) as checker:
            await until_quiet(checker.check_due)
        after = await pages(h)

    assert (after[INSTAGRAM].status, after[INSTAGRAM].status_reason) == (
        "needs_reauth",
        "no_access_token",
    )
    assert after[PAGE].status == "active"
