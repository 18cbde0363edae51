"""The scheduler job: claim due targets briefly, publish outside any transaction, record it."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from beacon_shared.logging import get_logger
from beacon_shared.tracing import current_correlation_id
from publisher.config import Settings
from publisher.connectors.base import (
    PermanentFailure,
    PublishContent,
    PublishResult,
    PublishTarget,
)
from publisher.connectors.registry import ConnectorRegistry, NoConnector
from publisher.posts import delivery
from publisher.posts.delivery import ClaimedTarget
from publisher.scheduling.metrics import PUBLISH_LAG, PUBLISH_OUTCOMES

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
        )


class Scheduler:
    """Publishes every target once it falls due, at least once per target and, with the
    connectors' idempotency keys, at most once on the network."""

    def __init__(
        self,
        *,
        sessionmaker: async_sessionmaker[AsyncSession],
        connectors: ConnectorRegistry,
        config: SchedulerConfig,
    ) -> None:
        self.sessionmaker = sessionmaker
        self.connectors = connectors
        self.config = config

    async def run(self, stop: asyncio.Event) -> None:
        """Tick until `stop`; a failing tick is logged and retried with backoff."""
        log.info("scheduler.started", worker_id=self.config.worker_id)
        backoff = self.config.poll_seconds
        while not stop.is_set():
            try:
                handled = await self.tick()
                await self.update_lag()
                backoff = self.config.poll_seconds
            except Exception as exc:
                log.warning("scheduler.tick_failed", error=repr(exc))
                await _sleep_or_stop(stop, backoff)
                backoff = min(backoff * 2, 10.0)
                continue
            # A full batch means more may be due right now.
            if handled < self.config.batch_size:
                await _sleep_or_stop(stop, self.config.poll_seconds)

    async def tick(self) -> int:
        """Reclaim lost claims, then claim and publish one batch; returns how many were claimed."""
        now = datetime.now(UTC)
        async with self.sessionmaker() as session, session.begin():
            await delivery.reclaim_expired(session, now=now, max_attempts=self.config.max_attempts)
        async with self.sessionmaker() as session, session.begin():
            claimed = await delivery.claim_due(
                session,
                now=now,
                lease=self.config.lease,
                worker_id=self.config.worker_id,
                limit=self.config.batch_size,
            )
        outcomes = await asyncio.gather(
            *(self._publish(target) for target in claimed), return_exceptions=True
        )
        for target, outcome in zip(claimed, outcomes, strict=True):
            if isinstance(outcome, BaseException):
                # Recording failed (the database, usually); the lease expiry brings it back.
                log.warning(
                    "scheduler.outcome_not_recorded",
                    target_id=str(target.target_id),
                    error=repr(outcome),
                )
        return len(claimed)

    async def update_lag(self) -> float:
        """Set and return the publish lag: how long the oldest due target has waited."""
        now = datetime.now(UTC)
        async with self.sessionmaker() as session:
            oldest = await delivery.oldest_due_at(session, now=now)
        lag = 0.0 if oldest is None else max(0.0, (now - oldest).total_seconds())
        PUBLISH_LAG.set(lag)
        return lag

    async def _publish(self, claimed: ClaimedTarget) -> None:
        token = current_correlation_id.set(claimed.correlation_id)
        try:
            result = await self._call_connector(claimed)
        except PermanentFailure as exc:
            await self._fail(claimed, str(exc) or type(exc).__name__)
        except NoConnector as exc:
            await self._fail(claimed, str(exc))
        except Exception as exc:
            # Timeouts, lost connections, connector bugs: the outcome is unknown, so retry with
            # the same idempotency key, which cannot publish twice.
            await self._retry_or_fail(claimed, _describe(exc, self.config.publish_timeout))
        else:
            async with self.sessionmaker() as session, session.begin():
                await delivery.record_published(
                    session,
                    claimed,
                    external_id=result.external_id,
                    url=result.url,
                    published_at=datetime.now(UTC),
                )
            PUBLISH_OUTCOMES.labels(claimed.network.value, "published").inc()
        finally:
            current_correlation_id.reset(token)

    async def _call_connector(self, claimed: ClaimedTarget) -> PublishResult:
        connector = self.connectors.get(claimed.network)
        async with asyncio.timeout(self.config.publish_timeout):
            return await connector.publish(
                PublishTarget(
                    target_id=claimed.target_id,
                    tenant_id=claimed.tenant_id,
                    account_id=claimed.account_id,
                    network=claimed.network,
                ),
                PublishContent(text=claimed.text, link=claimed.link),
                str(claimed.target_id),
            )

    async def _fail(self, claimed: ClaimedTarget, error: str) -> None:
        async with self.sessionmaker() as session, session.begin():
            await delivery.record_failed(session, claimed, error=error, now=datetime.now(UTC))
        PUBLISH_OUTCOMES.labels(claimed.network.value, "failed").inc()

    async def _retry_or_fail(self, claimed: ClaimedTarget, error: str) -> None:
        if claimed.attempts >= self.config.max_attempts:
            await self._fail(claimed, f"gave up after {claimed.attempts} attempts: {error}")
            return
        now = datetime.now(UTC)
        retry_at = now + self.config.retry_backoff * 2 ** (claimed.attempts - 1)
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


def _describe(exc: Exception, timeout: float) -> str:
    if isinstance(exc, TimeoutError):
        return f"no answer from the network within {timeout:g}s; outcome unknown"
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


async def _sleep_or_stop(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)
