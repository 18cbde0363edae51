"""Polls every active Mastodon and Bluesky account in turn, one failing account never the rest."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from uuid import UUID

import httpx
from prometheus_client import Counter
from pydantic import SecretStr
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from beacon_shared.claim_call_record import ClaimCallRecord
from beacon_shared.contracts.common import Network
from beacon_shared.egress import egress_client
from beacon_shared.logging import get_logger
from beacon_shared.waiting import doubling
from beacon_shared.worker import Job, WorkerContext, every
from ingest.accounts import polling
from ingest.accounts.schemas import PolledAccount
from ingest.accounts.service import credentials_refused, decrypt_credentials, mark_needs_reauth
from ingest.config import Settings
from ingest.pollers.base import Fetched, Malformed, Poller, RateLimited, Unauthorized
from ingest.pollers.bluesky import BlueskyPoller
from ingest.pollers.mastodon import MastodonPoller
from ingest.webhooks.intake import file_interactions, in_transaction

log = get_logger(__name__)

POLLS = Counter(
    "beacon_ingest_polls_total",
    "Account polls by network and outcome (stored, rate_limited, resting: not due or held by "
    "another worker, failed, malformed, awaiting_credentials: its token refused and a refresh "
    "asked of the workspace, needs_reauth, no_credentials).",
    ["network", "outcome"],
)
POLL_MALFORMED = Counter(
    "beacon_ingest_poll_malformed_total",
    "Notifications (or whole answers) a poller could not read, by network.",
    ["network"],
)


@dataclass(frozen=True)
class Outcome:
    """What one account's poll did."""

    outcome: str
    stored: int = 0
    duplicates: int = 0
    malformed: int = 0


@dataclass(frozen=True)
class _Polled:
    """What one poll's call read: None without credentials, and where the poll resumed."""

    fetched: Fetched | None
    previous: str | None


def default_pollers() -> list[Poller]:
    """One poller per polled network."""
    return [MastodonPoller(), BlueskyPoller()]


class PollRunner:
    """Polls accounts, stores what they got, and keeps each account's cursor and schedule.

    The schedule lives in the database, so any number of worker replicas share it: a poll
    claims its account (no other replica polls it meanwhile), and its outcome sets when the
    account is next due: one interval later, at a rate limit's reset, or after a backoff that
    doubles with each failure in a row.
    """

    def __init__(
        self,
        *,
        sessionmaker: async_sessionmaker[AsyncSession],
        client: httpx.AsyncClient,
        credentials_key: SecretStr | None,
        pollers: Sequence[Poller] | None = None,
        interval_seconds: float = 30.0,
        backoff_max_seconds: float = 900.0,
        concurrency: int = 4,
        hold_seconds: float = 300.0,
        refresh_wait_seconds: float = 120.0,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._sessionmaker = sessionmaker
        self._client = client
        self._key = credentials_key
        self._pollers: Mapping[Network, Poller] = {
            p.network: p for p in (pollers if pollers is not None else default_pollers())
        }
        self._interval = timedelta(seconds=interval_seconds)
        self._backoff_max = backoff_max_seconds
        self._slots = asyncio.Semaphore(concurrency)
        # Longer than any poll takes: a replica that dies mid-poll frees its account after it.
        self._hold = timedelta(seconds=hold_seconds)
        self._refresh_wait = timedelta(seconds=refresh_wait_seconds)
        self._now = now

    async def run(self, stop: asyncio.Event) -> None:
        """Poll every interval until `stop`, which abandons the cycle in progress: its open
        transactions roll back and the cursors stay where they were."""
        await every(
            self._interval.total_seconds(), self.poll_all, name="poll", abandon_on_stop=True
        )(stop)

    async def poll_all(self) -> dict[UUID, Outcome]:
        """Poll each pollable account once, a few at a time."""
        async with self._sessionmaker() as session:
            accounts = await polling.pollable_accounts(
                session, networks=list(self._pollers), now=self._now()
            )

        async def one(account: PolledAccount) -> Outcome:
            async with self._slots:
                return await self.poll_account(account)

        outcomes = await asyncio.gather(*(one(a) for a in accounts))
        return {a.id: o for a, o in zip(accounts, outcomes, strict=True)}

    async def poll_account(self, account: PolledAccount) -> Outcome:
        """Poll one account; never raises, whatever the network or the credentials do."""
        outcome = await self._poll(account)
        POLLS.labels(account.network.value, outcome.outcome).inc()
        if outcome.malformed:
            POLL_MALFORMED.labels(account.network.value).inc(outcome.malformed)
        return outcome

    async def _poll(self, account: PolledAccount) -> Outcome:
        now = self._now()
        polled = await ClaimCallRecord(
            self._sessionmaker,
            claim=lambda session, _limit: self._claim(session, account, now),
            call=lambda _failures: self._fetch(account),
            record=lambda session, failures, result: self._record(
                session, account, now, failures, result
            ),
            not_recorded=lambda _failures, exc: self._not_recorded(account, exc),
        ).once(1)
        return polled[0] if polled else Outcome("resting")

    async def _claim(
        self, session: AsyncSession, account: PolledAccount, now: datetime
    ) -> list[int]:
        """The account's failures in a row, when it is due and now held for this poll."""
        failures = await polling.claim(
            session,
            tenant_id=account.tenant_id,
            account_id=account.id,
            now=now,
            hold_until=now + self._hold,
        )
        return [] if failures is None else [failures]

    async def _fetch(self, account: PolledAccount) -> _Polled:
        async with self._sessionmaker() as session:
            credentials = await decrypt_credentials(session, account_id=account.id, key=self._key)
            cursor = await polling.cursor_of(
                session, tenant_id=account.tenant_id, account_id=account.id
            )
        if credentials is None:
            return _Polled(None, cursor)
        poller = self._pollers[account.network]
        return _Polled(await poller.fetch(self._client, credentials, cursor), cursor)

    async def _record(
        self,
        session: AsyncSession,
        account: PolledAccount,
        now: datetime,
        failures: int,
        result: _Polled | Exception,
    ) -> Outcome:
        if isinstance(result, _Polled):
            if result.fetched is None:
                await self._schedule(session, account, now + self._interval, failures=0)
                return Outcome("no_credentials")
            fetched = result.fetched
            next_at = max(now + self._interval, fetched.rate_limited_until or now)
            try:
                async with session.begin_nested():
                    return await self._store(
                        session, account, fetched, previous=result.previous, next_at=next_at
                    )
            except Exception as exc:  # not stored: a failed poll like any other
                await self._back_off(session, account, now, failures + 1, exc)
                return Outcome("failed")
        match result:
            case RateLimited(until=until):
                await self._schedule(session, account, until, failures=failures)
                log.info("poll.rate_limited", account_id=str(account.id), until=until.isoformat())
                return Outcome("rate_limited")
            case Unauthorized():
                return await self._refused(session, account, str(result), failures)
            case Malformed():
                await self._back_off(session, account, now, failures + 1, result)
                return Outcome("malformed", malformed=1)
            case _:
                await self._back_off(session, account, now, failures + 1, result)
                return Outcome("failed")

    def _not_recorded(self, account: PolledAccount, exc: Exception) -> Outcome:
        """The database did not take the outcome: the hold expires and the account is due."""
        log.warning("poll.not_recorded", account_id=str(account.id), error=repr(exc))
        return Outcome("failed")

    async def _store(
        self,
        session: AsyncSession,
        account: PolledAccount,
        fetched: Fetched,
        *,
        previous: str | None,
        next_at: datetime,
    ) -> Outcome:
        # The cursor and the schedule move in the transaction that stores the items.
        resolve, accept = in_transaction(session)
        filed = await file_interactions(
            {(account.network, account.external_account_id): fetched.items},
            resolve=resolve,
            accept=accept,
        )
        if fetched.cursor is not None and fetched.cursor != previous:
            await polling.save_cursor(
                session,
                tenant_id=account.tenant_id,
                account_id=account.id,
                cursor=fetched.cursor,
            )
        await self._schedule(session, account, next_at, failures=0)
        log.info(
            "poll.stored",
            account_id=str(account.id),
            network=account.network.value,
            stored=filed.stored,
            duplicates=filed.duplicates,
            malformed=fetched.malformed,
        )
        return Outcome("stored", filed.stored, filed.duplicates, fetched.malformed)

    async def _back_off(
        self,
        session: AsyncSession,
        account: PolledAccount,
        now: datetime,
        failures: int,
        exc: Exception,
    ) -> None:
        delay = doubling(self._interval.total_seconds(), failures, cap=self._backoff_max)
        log.warning(
            "poll.failed",
            account_id=str(account.id),
            network=account.network.value,
            error=type(exc).__name__,
            failures=failures,
            retry_in=delay,
        )
        await self._schedule(session, account, now + timedelta(seconds=delay), failures=failures)

    async def _schedule(
        self, session: AsyncSession, account: PolledAccount, next_at: datetime, *, failures: int
    ) -> None:
        await polling.schedule(
            session,
            tenant_id=account.tenant_id,
            account_id=account.id,
            next_at=next_at,
            failures=failures,
        )

    async def _refused(
        self, session: AsyncSession, account: PolledAccount, reason: str, failures: int
    ) -> Outcome:
        """Rest the account until the workspace refreshed its token, or stop it for a person
        (no longer active, so no longer claimed)."""
        until = await credentials_refused(
            session,
            account_id=account.id,
            version=None,  # a poll reads the credentials as they are now
            reason=reason,
            now=self._now(),
            wait=self._refresh_wait,
        )
        if until is not None:
            await self._schedule(session, account, until, failures=failures)
            return Outcome("awaiting_credentials")
        await mark_needs_reauth(session, tenant_id=account.tenant_id, account_id=account.id)
        log.warning("poll.needs_reauth", account_id=str(account.id), network=account.network.value)
        return Outcome("needs_reauth")


def poll_job(ctx: WorkerContext) -> Job:
    """The worker job that polls Mastodon and Bluesky accounts every interval."""
    settings = ctx.settings
    if not isinstance(settings, Settings):
        raise TypeError("the ingest worker needs ingest's Settings")

    async def run(stop: asyncio.Event) -> None:
        timeout = httpx.Timeout(settings.poll_timeout_seconds)
        async with egress_client(settings.egress, timeout=timeout) as client:
            runner = PollRunner(
                sessionmaker=ctx.sessionmaker,
                client=client,
                credentials_key=settings.account_keys,
                interval_seconds=settings.poll_interval_seconds,
                backoff_max_seconds=settings.poll_backoff_max_seconds,
                concurrency=settings.poll_concurrency,
                refresh_wait_seconds=settings.credentials_refresh_wait_seconds,
            )
            await runner.run(stop)

    return run
