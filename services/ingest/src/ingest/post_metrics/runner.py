"""Reads the public metrics of own and tracked accounts' recent posts, one account at a time.

The schedule lives in the database (post_metrics_poll), so worker replicas share it: a poll
claims its account, and its outcome sets when the account is due again: one interval later, at a
rate limit's reset, or after a backoff that doubles with each failure in a row. Each read emits
one post.metrics.observed per post through the outbox, in the transaction that reschedules it.
"""

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

from beacon_shared import outbox
from beacon_shared.claim_call_record import ClaimCallRecord
from beacon_shared.contracts.common import Network
from beacon_shared.egress import egress_client
from beacon_shared.logging import get_logger
from beacon_shared.waiting import doubling
from beacon_shared.worker import Job, WorkerContext, every
from ingest.accounts import polling
from ingest.accounts.service import decrypt_credentials
from ingest.competitors import service as competitors
from ingest.config import Settings
from ingest.db import outbox as outbox_table
from ingest.pollers.base import Malformed, RateLimited, Unauthorized
from ingest.post_metrics import repository
from ingest.post_metrics.base import Gone, MetricsAccount, MetricsReader, Observation, Owner
from ingest.post_metrics.bluesky import BlueskyMetrics
from ingest.post_metrics.events import observed_event
from ingest.post_metrics.mastodon import MastodonMetrics

log = get_logger(__name__)

METRICS_POLLS = Counter(
    "beacon_ingest_metrics_polls_total",
    "Post metrics polls by network, owner (own, competitor) and outcome (observed, resting, "
    "rate_limited, no_credentials, unauthorized, gone, malformed, failed).",
    ["network", "owner", "outcome"],
)
POSTS_OBSERVED = Counter(
    "beacon_ingest_posts_observed_total",
    "post.metrics.observed events staged, by network and owner.",
    ["network", "owner"],
)
DEFAULT_APPVIEW = "https://public.api.bsky.app"


@dataclass(frozen=True)
class Outcome:
    """What one account's poll did."""

    outcome: str
    posts: int = 0
    malformed: int = 0


def default_readers() -> list[MetricsReader]:
    """One reader per network whose public metrics are polled."""
    return [MastodonMetrics(), BlueskyMetrics()]


class _NoCredentials(Exception):
    """An own Mastodon account without credentials: its instance is unknown."""


class MetricsPoller:
    """Polls due accounts' recent posts and stages one event per post."""

    def __init__(
        self,
        *,
        sessionmaker: async_sessionmaker[AsyncSession],
        client: httpx.AsyncClient,
        credentials_key: SecretStr | None,
        readers: Sequence[MetricsReader] | None = None,
        bluesky_appview_url: str = DEFAULT_APPVIEW,
        interval_seconds: float = 900.0,
        tick_seconds: float = 60.0,
        max_post_age: timedelta = timedelta(days=7),
        backoff_max_seconds: float = 6 * 3600.0,
        concurrency: int = 4,
        hold_seconds: float = 300.0,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._sessionmaker = sessionmaker
        self._client = client
        self._key = credentials_key
        self._readers: Mapping[Network, MetricsReader] = {
            r.network: r for r in (readers if readers is not None else default_readers())
        }
        self._appview = bluesky_appview_url
        self._interval = timedelta(seconds=interval_seconds)
        # Due accounts are looked for more often than each is read: new ones start soon.
        self._tick = min(tick_seconds, interval_seconds)
        self._max_age = max_post_age
        self._backoff_max = backoff_max_seconds
        self._slots = asyncio.Semaphore(concurrency)
        # Longer than any poll takes: a replica that dies mid-poll frees its account after it.
        self._hold = timedelta(seconds=hold_seconds)
        self._now = now

    async def run(self, stop: asyncio.Event) -> None:
        """Poll due accounts every tick until `stop`, which abandons the cycle in progress: its
        open transactions roll back and its holds expire."""
        await every(self._tick, self.poll_due, name="metrics_poll", abandon_on_stop=True)(stop)

    async def poll_due(self) -> dict[UUID, Outcome]:
        """Poll each due account once, a few at a time."""
        async with self._sessionmaker() as session:
            networks = list(self._readers)
            accounts = await repository.due_accounts(
                session,
                own=polling.metrics_candidates(networks),
                tracked=competitors.metrics_candidates(networks),
                now=self._now(),
            )

        async def one(account: MetricsAccount) -> Outcome:
            async with self._slots:
                return await self.poll_account(account)

        outcomes = await asyncio.gather(*(one(a) for a in accounts))
        return {a.id: o for a, o in zip(accounts, outcomes, strict=True)}

    async def poll_account(self, account: MetricsAccount) -> Outcome:
        """Poll one account; never raises, whatever the network does."""
        outcome = await self._poll(account)
        METRICS_POLLS.labels(account.network.value, account.owner.value, outcome.outcome).inc()
        return outcome

    async def _poll(self, account: MetricsAccount) -> Outcome:
        now = self._now()
        polled = await ClaimCallRecord(
            self._sessionmaker,
            claim=lambda session, _limit: self._claim(session, account, now),
            call=lambda _failures: self._read(account, now),
            record=lambda session, failures, result: self._record(
                session, account, now, failures, result
            ),
            not_recorded=lambda _failures, exc: self._not_recorded(account, exc),
        ).once(1)
        return polled[0] if polled else Outcome("resting")

    async def _claim(
        self, session: AsyncSession, account: MetricsAccount, now: datetime
    ) -> list[int]:
        """The account's failures in a row, when it is due and now held for this poll."""
        failures = await repository.claim(
            session, account=account, now=now, hold_until=now + self._hold
        )
        return [] if failures is None else [failures]

    async def _read(self, account: MetricsAccount, now: datetime) -> Observation:
        base_url, token = await self._where(account)
        return await self._readers[account.network].read(
            self._client,
            account,
            base_url=base_url,
            token=token,
            since=now - self._max_age,
        )

    async def _record(
        self,
        session: AsyncSession,
        account: MetricsAccount,
        now: datetime,
        failures: int,
        result: Observation | Exception,
    ) -> Outcome:
        match result:
            case Observation():
                try:
                    async with session.begin_nested():
                        return await self._store(session, account, result, now=now)
                except Exception as exc:  # not stored: a failed poll like any other
                    failure = type(exc).__name__
                    await self._back_off(session, account, now, failures + 1, failure, exc)
                    return Outcome("failed")
            case _NoCredentials():
                await self._reschedule(session, account, now + self._interval, 0, "no_credentials")
                return Outcome("no_credentials")
            case RateLimited(until=until):
                await self._reschedule(session, account, until, failures, "rate_limited")
                log.info("metrics_poll.rate_limited", account_id=str(account.id), until=str(until))
                return Outcome("rate_limited")
            case Unauthorized():
                await self._back_off(session, account, now, failures + 1, "unauthorized", result)
                return Outcome("unauthorized")
            case Gone():
                error = f"not_found: {result}"
                await self._back_off(session, account, now, failures + 1, error, result)
                return Outcome("gone")
            case Malformed():
                await self._back_off(session, account, now, failures + 1, "malformed", result)
                return Outcome("malformed", malformed=1)
            case httpx.HTTPStatusError():
                error = f"http_{result.response.status_code}"
                await self._back_off(session, account, now, failures + 1, error, result)
                return Outcome("failed")
            case _:
                failure = type(result).__name__
                await self._back_off(session, account, now, failures + 1, failure, result)
                return Outcome("failed")

    def _not_recorded(self, account: MetricsAccount, exc: Exception) -> Outcome:
        """The database did not take the outcome: the hold expires and the account is due."""
        log.warning("metrics_poll.not_recorded", account_id=str(account.id), error=repr(exc))
        return Outcome("failed")

    async def _where(self, account: MetricsAccount) -> tuple[str, str | None]:
        """The API root to read the account from, and a token when the brand has one."""
        if account.network is Network.bluesky:
            return self._appview, None
        if account.owner is Owner.competitor:
            if account.instance_url is None:
                raise Gone("no instance")
            return account.instance_url, None
        async with self._sessionmaker() as session:
            credentials = await decrypt_credentials(session, account_id=account.id, key=self._key)
        if credentials is None or "base_url" not in credentials:
            raise _NoCredentials
        return credentials["base_url"], credentials.get("access_token")

    async def _store(
        self,
        session: AsyncSession,
        account: MetricsAccount,
        observation: Observation,
        *,
        now: datetime,
    ) -> Outcome:
        events = [
            observed_event(account, observation, post, observed_at=now)
            for post in observation.posts
        ]
        next_at = max(now + self._interval, observation.rate_limited_until or now)
        # The events and the schedule move together: a crash re-reads, never loses.
        await outbox.stage(session, outbox_table, events)
        await repository.schedule(
            session,
            account_id=account.id,
            next_at=next_at,
            failures=0,
            error=None,
            polled_at=now,
        )
        POSTS_OBSERVED.labels(account.network.value, account.owner.value).inc(len(events))
        log.info(
            "metrics_poll.observed",
            account_id=str(account.id),
            network=account.network.value,
            owner=account.owner.value,
            posts=len(events),
            malformed=observation.malformed,
        )
        return Outcome("observed", len(events), observation.malformed)

    async def _back_off(
        self,
        session: AsyncSession,
        account: MetricsAccount,
        now: datetime,
        failures: int,
        error: str,
        exc: Exception,
    ) -> None:
        delay = doubling(self._interval.total_seconds(), failures - 1, cap=self._backoff_max)
        log.warning(
            "metrics_poll.failed",
            account_id=str(account.id),
            network=account.network.value,
            error=error,
            detail=repr(exc),
            failures=failures,
            retry_in=delay,
        )
        await self._reschedule(session, account, now + timedelta(seconds=delay), failures, error)

    async def _reschedule(
        self,
        session: AsyncSession,
        account: MetricsAccount,
        next_at: datetime,
        failures: int,
        error: str,
    ) -> None:
        await repository.schedule(
            session, account_id=account.id, next_at=next_at, failures=failures, error=error
        )


def metrics_jobs(ctx: WorkerContext) -> list[Job]:
    """The worker job polling post metrics, when enabled."""
    settings = ctx.settings
    if not isinstance(settings, Settings) or not settings.metrics_poll_enabled:
        return []

    async def run(stop: asyncio.Event) -> None:
        timeout = httpx.Timeout(settings.poll_timeout_seconds)
        async with egress_client(settings.egress, timeout=timeout) as client:
            poller = MetricsPoller(
                sessionmaker=ctx.sessionmaker,
                client=client,
                credentials_key=settings.account_keys,
                bluesky_appview_url=settings.bluesky_appview_url,
                interval_seconds=settings.metrics_poll_interval_seconds,
                max_post_age=timedelta(days=settings.metrics_max_post_age_days),
                backoff_max_seconds=settings.metrics_poll_backoff_max_seconds,
                concurrency=settings.metrics_poll_concurrency,
            )
            await poller.run(stop)

    return [run]
