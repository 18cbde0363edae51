"""Disconnecting revokes the account's tokens at the network, best effort: the disconnection
stages them, sealed, in its own transaction; the worker revokes them at X, LinkedIn or Mastodon
and forgets them, tries a failing network again later and gives up after a few attempts, and
keeps a token another account still holds. No token reaches an answer, a log, an event or the
audit."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from services.workspace.tests.connections.conftest import (
    CREDENTIALS_KEY,
    Harness,
    mine,
    opened,
    outcome,
)
from workspace.audit.models import audit_entry
from workspace.connections.models import revocation
from workspace.connections.revocation import Revoker

pytestmark = pytest.mark.integration
# One pass sees every revocation due in the test database, those of earlier tests included.
ALL_AT_ONCE = {"revocation_batch_size": 1000}


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


async def pending(h: Harness, account_id: str) -> list[Any]:
    """The account's tokens still to revoke."""
    async with h.engine.connect() as conn:
        return list(
            await conn.execute(select(revocation).where(revocation.c.account_id == account_id))
        )


async def tokens_of(h: Harness, account_id: str) -> dict[str, str]:
    return opened((await mine(h, account_id)).credentials, CREDENTIALS_KEY)


async def disconnect(h: Harness, account_id: str) -> None:
    gone = await h.http.delete(f"/v1/connected-accounts/{account_id}")
    assert gone.status_code == 204, gone.text


async def test_disconnecting_an_x_account_revokes_both_its_tokens_at_x(
    harness, worker_job, networks
):
    async with harness() as h:
        account_id = outcome(await h.connect("x"))["accounts"]
        tokens = await tokens_of(h, account_id)
        await disconnect(h, account_id)
        [staged] = await pending(h, account_id)
        async with worker_job(Revoker, **ALL_AT_ONCE) as revoker:
            outcomes = await until_quiet(revoker.revoke_due)
        left = await pending(h, account_id)
        audit = await h.audit()
        account = await mine(h, account_id)

    assert account.status == "disconnected"
    assert account.credentials is None
    assert staged.network == "x"
    assert tokens["access_token"].encode() not in staged.credentials  # sealed as it was
    assert opened(staged.credentials, CREDENTIALS_KEY) == tokens
    assert "revoked" in outcomes
    revoked = networks.x.revoked
    assert revoked.index(tokens["refresh_token"]) < revoked.index(tokens["access_token"])
    assert tokens["refresh_token"] not in networks.x.refresh_tokens
    assert left == []
    assert ("account.token_revoked", "worker:revoker") in audit


async def test_a_linkedin_token_is_revoked_once_no_account_holds_it(harness, worker_job, networks):
    async with harness() as h:
        ids = outcome(await h.connect("linkedin"))["accounts"].split(",")
        accounts = {str(r.id): r for r in await h.accounts()}
        member = next(i for i in ids if accounts[i].kind == "linkedin_member")
        organization = next(i for i in ids if accounts[i].kind == "linkedin_organization")
        token = (await tokens_of(h, member))["access_token"]
        await disconnect(h, organization)
        async with worker_job(Revoker, **ALL_AT_ONCE) as revoker:
            await until_quiet(revoker.revoke_due)
            kept = token not in networks.linkedin.revoked
            left_after_organization = await pending(h, organization)
            await disconnect(h, member)
            await until_quiet(revoker.revoke_due)
        audit = await h.audit()

    # The member's token, which the organization's account shared, still serves the member.
    assert kept
    assert left_after_organization == []
    assert networks.linkedin.revoked.count(token) == 1
    assert token not in networks.linkedin.tokens
    assert ("account.revocation_skipped", "worker:revoker") in audit
    assert ("account.token_revoked", "worker:revoker") in audit


async def test_disconnecting_a_mastodon_account_revokes_its_token_at_the_instance(
    harness, worker_job, networks
):
    async with harness() as h:
        back = await h.connect("mastodon", instance=networks.mastodon.url)
        account_id = outcome(back)["accounts"]
        token = (await tokens_of(h, account_id))["access_token"]
        await disconnect(h, account_id)
        async with worker_job(Revoker, **ALL_AT_ONCE) as revoker:
            await until_quiet(revoker.revoke_due)
        left = await pending(h, account_id)

    assert token in networks.mastodon.revoked
    assert token not in networks.mastodon.tokens
    assert left == []


async def test_a_failing_revocation_does_not_fail_the_disconnection_and_is_tried_again(
    harness, worker_job, networks
):
    clock = Clock()
    async with harness() as h:
        account_id = outcome(await h.connect("x"))["accounts"]
        tokens = await tokens_of(h, account_id)
        networks.x.revoke_status = 503
        gone = await h.http.delete(f"/v1/connected-accounts/{account_id}")
        shown = (await h.http.get(f"/v1/connected-accounts/{account_id}")).json()
        async with worker_job(Revoker, now=clock, **ALL_AT_ONCE) as revoker:
            await until_quiet(revoker.revoke_due)
            [waiting] = await pending(h, account_id)
            networks.x.revoke_status = None
            await until_quiet(revoker.revoke_due)  # not due yet
            still_waiting = await pending(h, account_id)
            clock.offset = timedelta(seconds=61)
            await until_quiet(revoker.revoke_due)
        left = await pending(h, account_id)

    assert gone.status_code == 204
    assert shown["status"] == "disconnected"
    assert (waiting.attempts, waiting.last_error) == (1, "network_unavailable")
    wait = waiting.due_at - datetime.now(UTC)
    assert timedelta(seconds=55) < wait <= timedelta(seconds=60)
    assert len(still_waiting) == 1
    assert tokens["refresh_token"] in networks.x.revoked
    assert tokens["access_token"] in networks.x.revoked
    assert left == []


async def test_a_revocation_failing_every_time_is_given_up_after_the_last_attempt(
    harness, worker_job, networks
):
    clock = Clock()
    async with harness() as h:
        account_id = outcome(await h.connect("x"))["accounts"]
        tokens = await tokens_of(h, account_id)
        networks.x.revoke_status = 400
        await disconnect(h, account_id)
        async with worker_job(Revoker, now=clock, revocation_attempts=2, **ALL_AT_ONCE) as revoker:
            await until_quiet(revoker.revoke_due)
            [first] = await pending(h, account_id)
            clock.offset = timedelta(minutes=5)
            await until_quiet(revoker.revoke_due)
        left = await pending(h, account_id)
        audit = await h.audit()
        account = await mine(h, account_id)

    assert (first.attempts, first.last_error) == (1, "server_error")
    assert left == []
    assert tokens["access_token"] not in networks.x.revoked
    assert ("account.revocation_given_up", "worker:revoker") in audit
    assert account.status == "disconnected"


async def test_a_facebook_page_has_no_token_to_revoke(harness):
    async with harness() as h:
        assert outcome(await h.connect("facebook"))["connection"] == "connected"
        page = next(r for r in await h.accounts() if r.kind == "facebook_page")
        await disconnect(h, str(page.id))
        left = await pending(h, str(page.id))
        async with h.engine.connect() as conn:
            [detail] = (
                await conn.execute(
                    select(audit_entry.c.detail).where(
                        audit_entry.c.tenant_id == h.tenant_id,
                        audit_entry.c.action == "account.disconnected",
                    )
                )
            ).scalars()

    assert left == []
    assert detail["revocation"] is False


async def test_no_token_reaches_an_answer_a_log_an_event_or_the_audit(
    harness, worker_job, networks, capfd
):
    loud = {"log_requests": True, "log_level": "DEBUG"}
    seen: list[str] = []
    tokens: list[str] = []
    async with harness(**loud) as h:
        for network, body in (
            ("x", {}),
            ("linkedin", {}),
            ("mastodon", {"instance": networks.mastodon.url}),
        ):
            seen.append((await h.connect(network, **body)).headers["location"])
        networks.linkedin.revoke_status = 500
        for row in await h.accounts():
            tokens += (await tokens_of(h, str(row.id))).values()
            answer = await h.http.delete(f"/v1/connected-accounts/{row.id}")
            seen.append(answer.text)
            seen.append((await h.http.get(f"/v1/connected-accounts/{row.id}")).text)
        async with worker_job(Revoker, **loud, **ALL_AT_ONCE) as revoker:
            await until_quiet(revoker.revoke_due)
        staged = await h.raw_outbox()
        async with h.engine.connect() as conn:
            audit = [
                str(detail)
                for (detail,) in await conn.execute(
                    select(audit_entry.c.detail).where(audit_entry.c.tenant_id == h.tenant_id)
                )
            ]
    printed = capfd.readouterr()
    haystack = "\n".join([*seen, *audit, printed.out, printed.err])

    assert "account.token_revoked" in haystack  # the logs were captured
    assert "account.revocation_failed" in haystack
    secrets = [t for t in tokens if not t.startswith("http")]  # Mastodon's base_url aside
    assert len(secrets) >= 4
    for secret in secrets:
        assert secret not in haystack, secret[:12]
        assert secret.encode() not in staged, secret[:12]
