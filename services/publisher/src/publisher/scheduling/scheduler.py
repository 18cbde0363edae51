"""The scheduler job: claim due targets briefly, publish outside any transaction, record it."""

from __future__ import annotations

import asyncio
import os
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from uuid import UUID

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from beacon_shared.crypto import SecretBox
from beacon_shared.logging import get_logger
from beacon_shared.network_calls import CredentialsRefused, OutcomeUnknown, RetryLater
from beacon_shared.tracing import current_correlation_id
from beacon_shared.waiting import Backoff, doubling, wait_or_stop
from publisher.accounts import service as accounts
from publisher.campaigns import service as campaigns
from publisher.campaigns.service import CampaignRow
from publisher.config import Settings
from publisher.connectors.base import Account, Connector, PublishContent, PublishResult
from publisher.connectors.registry import ConnectorRegistry, NoConnector
from publisher.delivery import service as delivery
from publisher.delivery import targets
from publisher.delivery.service import ClaimedTarget, Published
from publisher.scheduling.metrics import PUBLISH_LAG, PUBLISH_OUTCOMES
from publisher.scheduling.preparation import (
    MediaLimits,
    NotPublishable,
    account_for,
    content_for,
    published_text,
    tagged_variant,
)
from publisher.scheduling.reconciliation import find_published

log = get_logger(__name__)


def default_worker_id() -> str:
    """host:pid, what shows in `claimed_by`."""
    return f"{socket.gethostname()}:{os.getpid()}"


@dataclass(frozen=True)
class SchedulerConfig:
    """How the scheduler paces and bounds its work."""

    worker_id: str
    poll_seconds: float = 0.25
    batch_size: int = 50
    lease: timedelta = timedelta(seconds=60)
    publish_timeout: float = 30.0
    max_attempts: int = 5
    retry_backoff: timedelta = timedelta(seconds=5)
    # An unknown outcome is first looked for this long after it happened (networks list a new
    # post within seconds), and keeps being looked for until `reconcile_settle` has passed; a
    # post still not listed then was not published and is sent again.
    reconcile_delay: timedelta = timedelta(seconds=15)
    reconcile_settle: timedelta = timedelta(minutes=2)
    # How long a refused workspace account waits for the registry's refresh.
    refresh_wait: timedelta = timedelta(minutes=2)
    media: MediaLimits = field(default_factory=MediaLimits)
    # Targets being published at once by this worker: a batch is claimed whenever there is room,
    # without waiting for the slowest call of the previous one.
    max_in_flight: int = 200
    # How often lost claims are swept, unknown outcomes reconciled and the lag measured.
    housekeeping_seconds: float = 1.0

    @classmethod
    def from_settings(cls, settings: Settings) -> SchedulerConfig:
        """From the publisher's settings."""
        return cls(
            worker_id=settings.worker_id or default_worker_id(),
            poll_seconds=settings.scheduler_poll_seconds,
            batch_size=settings.scheduler_batch_size,
            lease=timedelta(seconds=settings.scheduler_lease_seconds),
            publish_timeout=settings.publish_timeout_seconds,
            max_attempts=settings.publish_max_attempts,
            retry_backoff=timedelta(seconds=settings.publish_retry_backoff_seconds),
            reconcile_delay=timedelta(seconds=settings.reconcile_delay_seconds),
            reconcile_settle=timedelta(seconds=settings.reconcile_settle_seconds),
            refresh_wait=timedelta(seconds=settings.credentials_refresh_wait_seconds),
            media=MediaLimits(max_bytes=settings.media_max_bytes),
            max_in_flight=settings.scheduler_max_in_flight,
        )


class Scheduler:
    """Publishes every target once it falls due, and never twice: a call whose outcome is
    unknown is sent again only under an idempotency key the network still honours, or after
    reconciliation found the post is not among the account's recent posts."""

    def __init__(
        self,
        *,
        sessionmaker: async_sessionmaker[AsyncSession],
        connectors: ConnectorRegistry,
        config: SchedulerConfig,
        box: SecretBox,
        http: httpx.AsyncClient,
    ) -> None:
        self.sessionmaker = sessionmaker
        self.connectors = connectors
        self.config = config
        self.box = box
        self.http = http
        # Publications the network confirmed, recorded together by the next flush.
        self._published: list[Published] = []

    async def run(self, stop: asyncio.Event) -> None:
        """Publish until `stop`, then finish the calls in flight and record them.

        Batches are claimed whenever fewer than `max_in_flight` targets are being published, so a
        slow network call delays nothing else; confirmed publications are recorded together,
        one transaction per loop. A failing loop is logged and retried with backoff.
        """
        log.info("scheduler.started", worker_id=self.config.worker_id)
        loop = asyncio.get_running_loop()
        # Batches being published, by how many targets each holds.
        batches: dict[asyncio.Task[None], int] = {}
        next_housekeeping = 0.0
        backoff = Backoff(self.config.poll_seconds, cap=10.0)
        try:
            while not stop.is_set():
                in_flight = sum(batches.values())
                room = min(self.config.batch_size, self.config.max_in_flight - in_flight)
                claimed: list[ClaimedTarget] = []
                try:
                    await self.flush()
                    if loop.time() >= next_housekeeping:
                        await self.sweep()
                        await self.reconcile()
                        await self.update_lag()
                        next_housekeeping = loop.time() + self.config.housekeeping_seconds
                    if room > 0:
                        claimed = await self._claim(room)
                    if claimed:
                        task = asyncio.create_task(self._each(claimed, self._publish))
                        batches[task] = len(claimed)
                        task.add_done_callback(batches.pop)
                    backoff.succeeded()
                except Exception as exc:
                    log.warning("scheduler.tick_failed", error=repr(exc))
                    await wait_or_stop(stop, backoff.failed())
                    continue
                # A full claim means more may be due right now.
                if not claimed or len(claimed) < room:
                    await wait_or_stop(stop, self.config.poll_seconds)
        finally:
            # Graceful stop: let the calls in flight finish, and record what they published.
            await asyncio.gather(*batches, return_exceptions=True)
            await self.flush()

    async def tick(self) -> int:
        """Sweep lost claims, then claim one batch, publish it and record the outcomes; returns
        how many were claimed."""
        await self.sweep()
        claimed = await self._claim(self.config.batch_size)
        await self._each(claimed, self._publish)
        await self.flush()
        return len(claimed)

    async def sweep(self) -> int:
        """Claims whose lease ran out become unconfirmed, for reconciliation."""
        async with self.sessionmaker() as session, session.begin():
            return await delivery.reclaim_expired(session, now=datetime.now(UTC))

    async def flush(self) -> int:
        """Record the publications confirmed since the last flush, in one transaction."""
        if not self._published:
            return 0
        pending, self._published = self._published, []
        async with self.sessionmaker() as session, session.begin():
            recorded = await delivery.record_published(session, pending)
        for outcome in pending:
            label = "published" if outcome.confirmed_by == "answer" else outcome.confirmed_by
            PUBLISH_OUTCOMES.labels(outcome.claimed.network.value, label).inc()
        return recorded

    async def _claim(self, limit: int) -> list[ClaimedTarget]:
        async with self.sessionmaker() as session, session.begin():
            return await delivery.claim_due(
                session,
                now=datetime.now(UTC),
                lease=self.config.lease,
                worker_id=self.config.worker_id,
                limit=limit,
            )

    async def reconcile(self) -> int:
        """Settle one batch of targets whose outcome is unknown; returns how many were looked at."""
        now = datetime.now(UTC)
        async with self.sessionmaker() as session, session.begin():
            claimed = await delivery.claim_unconfirmed(
                session,
                now=now,
                lease=self.config.lease,
                worker_id=self.config.worker_id,
                limit=self.config.batch_size,
            )
        await self._each(claimed, self._reconcile)
        await self.flush()
        return len(claimed)

    async def update_lag(self) -> float:
        """Set and return the publish lag: how long the oldest due target has waited."""
        now = datetime.now(UTC)
        async with self.sessionmaker() as session:
            oldest = await delivery.oldest_due_at(session, now=now)
        lag = 0.0 if oldest is None else max(0.0, (now - oldest).total_seconds())
        PUBLISH_LAG.set(lag)
        return lag

    async def _each(
        self,
        claimed: list[ClaimedTarget],
        handle: Callable[[ClaimedTarget, Account, CampaignRow | None], Awaitable[None]],
    ) -> None:
        if not claimed:
            return
        async with self.sessionmaker() as session:
            rows = await accounts.for_publishing(
                session, list({UUID(t.account_id) for t in claimed if _is_uuid(t.account_id)})
            )
            named = {(t.tenant_id, t.campaign_id) for t in claimed if t.campaign_id is not None}
            found = [
                await campaigns.find(session, tenant_id=tenant_id, campaign_id=campaign_id)
                for tenant_id, campaign_id in named
                if campaign_id is not None
            ]
        by_id = {row.id: row for row in rows}
        by_campaign = {str(c.id): c for c in found if c is not None}

        async def one(target: ClaimedTarget) -> None:
            token = current_correlation_id.set(target.correlation_id)
            try:
                try:
                    account = account_for(target, by_id, self.box)
                except NotPublishable as exc:
                    await self._fail(target, exc.reason, exc.kind)
                    return
                campaign = by_campaign.get(target.campaign_id or "")
                await handle(target, account, campaign)
            finally:
                current_correlation_id.reset(token)

        outcomes = await asyncio.gather(*(one(t) for t in claimed), return_exceptions=True)
        for target, outcome in zip(claimed, outcomes, strict=True):
            if isinstance(outcome, BaseException):
                # Recording failed (the database, usually); the lease expiry brings it back.
                log.warning(
                    "scheduler.outcome_not_recorded",
                    target_id=str(target.target_id),
                    error=repr(outcome),
                )

    async def _publish(
        self, claimed: ClaimedTarget, account: Account, campaign: CampaignRow | None
    ) -> None:
        try:
            connector = self.connectors.get(claimed.network)
            content = await self._content(claimed, campaign)
        except NoConnector as exc:
            await self._fail(claimed, str(exc), "refused")
            return
        except NotPublishable as exc:
            if exc.retryable:
                await self._retry_or_fail(claimed, exc.reason, after=None)
            else:
                await self._fail(claimed, exc.reason, exc.kind)
            return
        try:
            result = await self._call(connector, account, content, claimed)
        except RetryLater as exc:
            await self._retry_or_fail(claimed, exc.reason, after=exc.after)
        except CredentialsRefused as exc:
            await self._refused_credentials(claimed, account, exc.reason)
        except (OutcomeUnknown, TimeoutError) as exc:
            await self._unknown(claimed, connector, _describe(exc, self.config.publish_timeout))
        except Exception as exc:
            # Refused by the network, or a connector bug: sending it again would not help.
            await self._fail(claimed, _describe(exc, self.config.publish_timeout), "refused")
        else:
            self._confirmed(claimed, result, account)

    async def _content(
        self, claimed: ClaimedTarget, campaign: CampaignRow | None
    ) -> PublishContent:
        return await content_for(
            claimed, http=self.http, limits=self.config.media, campaign=campaign
        )

    async def _call(
        self,
        connector: Connector,
        account: Account,
        content: PublishContent,
        claimed: ClaimedTarget,
    ) -> PublishResult:
        async with asyncio.timeout(self.config.publish_timeout):
            return await connector.publish(account, content, str(claimed.target_id))

    async def _reconcile(
        self, claimed: ClaimedTarget, account: Account, campaign: CampaignRow | None
    ) -> None:
        now = datetime.now(UTC)
        since = (claimed.unconfirmed_at or now) - self.config.lease
        try:
            connector = self.connectors.get(claimed.network)
            # Only the text is matched: the media are not fetched again to look for the post.
            text = published_text(claimed, tagged_variant(claimed, campaign))
            recent = await connector.recent_posts(account, since)
        except CredentialsRefused as exc:
            await self._refused_credentials(claimed, account, exc.reason)
            return
        except Exception as exc:
            # The network cannot be asked now: ask again later, never send blindly meanwhile.
            log.warning(
                "target.reconcile_failed", target_id=str(claimed.target_id), error=repr(exc)
            )
            await self._look_again(claimed, now)
            return
        found = find_published(text, recent)
        if found is not None:
            self._published.append(
                Published(
                    claimed,
                    external_id=found.external_id,
                    url=found.url,
                    published_at=found.created_at,
                    confirmed_by="reconciled",
                    external_account_id=account.external_account_id,
                )
            )
            return
        if self._key_remembered(claimed, connector, now):
            # Not listed yet, but the network dedupes this key: sending again is safe now.
            await self._retry_or_fail(claimed, "not found among the account's posts", after=now)
            return
        if (
            claimed.unconfirmed_at is not None
            and now - claimed.unconfirmed_at < self.config.reconcile_settle
        ):
            await self._look_again(claimed, now)
            return
        # Not out after the settle time: sending again cannot make a second post.
        await self._retry_or_fail(claimed, "not found among the account's posts", after=now)

    async def _look_again(self, claimed: ClaimedTarget, now: datetime) -> None:
        async with self.sessionmaker() as session, session.begin():
            await delivery.reconcile_later(
                session,
                claimed,
                worker_id=self.config.worker_id,
                at=now + self.config.reconcile_delay,
                now=now,
            )

    def _confirmed(self, claimed: ClaimedTarget, result: PublishResult, account: Account) -> None:
        # Recorded by the next flush; until then the lease keeps the target ours.
        self._published.append(
            Published(
                claimed,
                external_id=result.external_id,
                url=result.url,
                published_at=datetime.now(UTC),
                first_comment_id=result.first_comment_id,
                first_comment_error=result.first_comment_error,
                external_account_id=account.external_account_id,
            )
        )

    @staticmethod
    def _key_remembered(claimed: ClaimedTarget, connector: Connector, now: datetime) -> bool:
        """Whether the network still dedupes the target's idempotency key (with a margin)."""
        window = connector.idempotency_window
        return window is not None and now - claimed.due_at < window / 2

    async def _unknown(self, claimed: ClaimedTarget, connector: Connector, error: str) -> None:
        if self._key_remembered(claimed, connector, datetime.now(UTC)):
            # The network dedupes this key for a while yet: sending again cannot post twice.
            await self._retry_or_fail(claimed, error, after=None)
            return
        now = datetime.now(UTC)
        async with self.sessionmaker() as session, session.begin():
            await delivery.record_unconfirmed(
                session,
                claimed,
                worker_id=self.config.worker_id,
                error=error,
                reconcile_at=now + self.config.reconcile_delay,
                now=now,
            )
        PUBLISH_OUTCOMES.labels(claimed.network.value, "unconfirmed").inc()

    async def _refused_credentials(
        self, claimed: ClaimedTarget, account: Account, reason: str
    ) -> None:
        now = datetime.now(UTC)
        async with self.sessionmaker() as session, session.begin():
            until = await accounts.credentials_refused(
                session,
                account_id=account.id,
                version=account.credentials_version,
                reason=reason,
                now=now,
                wait=self.config.refresh_wait,
            )
            if until is not None:
                await delivery.wait_for_credentials(
                    session,
                    claimed,
                    worker_id=self.config.worker_id,
                    error=f"the network refused the account's token: {reason}",
                    until=until,
                    now=now,
                )
        if until is not None:
            PUBLISH_OUTCOMES.labels(claimed.network.value, "retried").inc()
            return
        async with self.sessionmaker() as session, session.begin():
            flagged = await accounts.mark_needs_reauth(
                session, account_id=account.id, reason=reason, now=now
            )
            if flagged:
                # Its other targets not out yet would fail the same way at their time: said now.
                await targets.warn_account_targets(
                    session,
                    tenant_id=claimed.tenant_id,
                    account_id=account.id,
                    warning=f"the account needs reconnecting: {reason}",
                    kind="credentials",
                    now=now,
                )
            await delivery.record_failed(
                session,
                claimed,
                error=f"the account needs reconnecting: {reason}",
                kind="credentials",
                now=now,
            )
        PUBLISH_OUTCOMES.labels(claimed.network.value, "failed").inc()

    async def _fail(self, claimed: ClaimedTarget, error: str, kind: str) -> None:
        async with self.sessionmaker() as session, session.begin():
            await delivery.record_failed(
                session, claimed, error=error, kind=kind, now=datetime.now(UTC)
            )
        PUBLISH_OUTCOMES.labels(claimed.network.value, "failed").inc()

    async def _retry_or_fail(
        self, claimed: ClaimedTarget, error: str, *, after: datetime | None
    ) -> None:
        if claimed.attempts >= self.config.max_attempts:
            await self._fail(
                claimed, f"gave up after {claimed.attempts} attempts: {error}", "exhausted"
            )
            return
        now = datetime.now(UTC)
        retry_at = now + timedelta(
            seconds=doubling(self.config.retry_backoff.total_seconds(), claimed.attempts - 1)
        )
        if after is not None:
            retry_at = max(after, now)
        async with self.sessionmaker() as session, session.begin():
            await delivery.retry_later(
                session,
                claimed,
                worker_id=self.config.worker_id,
                error=error,
                retry_at=retry_at,
                now=now,
            )
        PUBLISH_OUTCOMES.labels(claimed.network.value, "retried").inc()


def _is_uuid(value: str) -> bool:
    try:
        UUID(value)
    except ValueError:
        return False
    return True


def _describe(exc: BaseException, timeout: float) -> str:
    if isinstance(exc, TimeoutError):
        return f"no answer from the network within {timeout:g}s; outcome unknown"
    reason = getattr(exc, "reason", None) or str(exc)
    return f"{type(exc).__name__}: {reason}" if reason else type(exc).__name__
