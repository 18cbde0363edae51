"""The webhook dispatcher job: claim due deliveries briefly, POST them outside any transaction,
record each attempt and schedule the next one.

Any number of workers may run it: claims use FOR UPDATE SKIP LOCKED and a lease, and a claim
whose worker vanished is taken back once its lease ends. Delivery is at least once; receivers
deduplicate on `webhook-id`.
"""

from __future__ import annotations

import asyncio
import os
import socket
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from beacon_shared.claim_call_record import ClaimCallRecord
from beacon_shared.crypto import SecretBox, SecretsUnreadable
from beacon_shared.egress import EgressPolicy
from beacon_shared.logging import get_logger
from beacon_shared.waiting import Backoff, wait_or_stop
from beacon_shared.webhooks.claims import ClaimedDelivery, Claims, Recorded
from beacon_shared.webhooks.delivery import DEFAULT_TIMEOUT_SECONDS, Attempt, deliver
from beacon_shared.webhooks.metrics import WebhookMetrics
from beacon_shared.webhooks.schedule import Outcome, Uniform
from beacon_shared.webhooks.secret_store import unseal
from beacon_shared.webhooks.tables import DeliveryStatus, WebhookTables
from beacon_shared.webhooks.transport import webhook_client

log = get_logger(__name__)

# An attempt as recorded: what was sent, what came of it, what the record changed.
_Sent = tuple[ClaimedDelivery, Attempt, Recorded]

_METRIC_OUTCOME = {
    DeliveryStatus.delivered: "delivered",
    DeliveryStatus.pending: "retrying",
    DeliveryStatus.failed: "failed",
}


@dataclass(frozen=True)
class DispatcherConfig:
    """How the dispatcher paces and bounds its work."""

    worker_id: str
    poll_seconds: float = 1.0
    batch_size: int = 50
    lease: timedelta = timedelta(seconds=60)
    timeout: float = DEFAULT_TIMEOUT_SECONDS
    egress: EgressPolicy = field(default_factory=EgressPolicy)

    def __post_init__(self) -> None:
        # A POST outliving its claim could be sent twice at once by two workers.
        if self.lease.total_seconds() <= self.timeout + 5:
            raise ValueError("the lease must outlast the delivery timeout by more than 5 s")

    @classmethod
    def for_worker(cls, worker_id: str | None, egress: EgressPolicy) -> DispatcherConfig:
        """The defaults, with the worker's id (host:pid unless set) and egress policy."""
        return cls(worker_id=worker_id or f"{socket.gethostname()}:{os.getpid()}", egress=egress)


class Dispatcher:
    """Sends every queued webhook until it is delivered or its retries run out."""

    def __init__(
        self,
        *,
        tables: WebhookTables,
        metrics: WebhookMetrics,
        sessionmaker: async_sessionmaker[AsyncSession],
        box: SecretBox,
        config: DispatcherConfig,
        client: httpx.AsyncClient | None = None,
        rng: Uniform | None = None,
    ) -> None:
        self.claims = Claims(tables)
        self.metrics = metrics
        self.sessionmaker = sessionmaker
        self.box = box
        self.config = config
        self.client = client or webhook_client(config.egress)
        self.rng = rng
        self._loop: ClaimCallRecord[ClaimedDelivery, Attempt, _Sent | None] = ClaimCallRecord(
            sessionmaker=sessionmaker,
            claim=self._claim,
            call=self._attempt,
            record=self._record,
            not_recorded=self._not_recorded,
        )

    async def run(self, stop: asyncio.Event) -> None:
        """Tick until `stop`; a failing tick is logged and retried with backoff."""
        log.info("webhook_dispatcher.started", worker_id=self.config.worker_id)
        backoff = Backoff(self.config.poll_seconds, cap=30.0)
        try:
            while not stop.is_set():
                try:
                    handled = await self.tick()
                    await self.update_backlog()
                    backoff.succeeded()
                except Exception as exc:
                    log.warning("webhook_dispatcher.tick_failed", error=repr(exc))
                    await wait_or_stop(stop, backoff.failed())
                    continue
                # A full batch means more may be due right now.
                if handled < self.config.batch_size:
                    await wait_or_stop(stop, self.config.poll_seconds)
        finally:
            await self.aclose()

    async def aclose(self) -> None:
        """Close the HTTP client."""
        await self.client.aclose()

    async def tick(self) -> int:
        """Reclaim lost claims, then claim and send one batch; returns how many were claimed."""
        async with self.sessionmaker() as session, session.begin():
            await self.claims.reclaim_expired(session, now=datetime.now(UTC))
        sent = await self._loop.once(self.config.batch_size)
        for done in sent:
            if done is not None:
                await self._after(*done)
        return len(sent)

    async def _claim(self, session: AsyncSession, limit: int) -> Sequence[ClaimedDelivery]:
        return await self.claims.claim_due(
            session, now=datetime.now(UTC), lease=self.config.lease, limit=limit
        )

    async def _record(
        self, session: AsyncSession, claimed: ClaimedDelivery, attempt: Attempt | Exception
    ) -> _Sent:
        if isinstance(attempt, Exception):
            # Nothing known of the POST: the lease expiry brings the delivery back.
            raise attempt
        recorded = await self.claims.record_attempt(session, claimed, attempt, rng=self.rng)
        return claimed, attempt, recorded

    def _not_recorded(self, claimed: ClaimedDelivery, exc: Exception) -> None:
        # Recording failed (the database, usually); the lease expiry brings it back.
        log.warning("webhook.outcome_not_recorded", delivery_id=str(claimed.id), error=repr(exc))

    async def update_backlog(self) -> tuple[float, float]:
        """Set and return the oldest pending delivery's age and the dispatch lag, in seconds."""
        now = datetime.now(UTC)
        async with self.sessionmaker() as session:
            oldest, lag = await self.claims.backlog_ages(session, now=now)
        self.metrics.oldest_pending_age.set(oldest)
        self.metrics.dispatch_lag.set(lag)
        return oldest, lag

    async def _after(self, claimed: ClaimedDelivery, attempt: Attempt, recorded: Recorded) -> None:
        """Once an attempt is recorded: an endpoint gone for good is disabled (in a transaction
        of its own, as the attempt's is committed), and the attempt counted and logged."""
        if attempt.outcome is Outcome.DISABLED and recorded.applied:
            async with self.sessionmaker() as session, session.begin():
                disabled = await self.claims.disable_gone_endpoint(
                    session, endpoint_id=claimed.endpoint_id, now=datetime.now(UTC)
                )
            if disabled:
                log.warning(
                    "webhook.endpoint_disabled",
                    endpoint_id=str(claimed.endpoint_id),
                    tenant_id=claimed.tenant_id,
                    reason="410 Gone",
                )
        if recorded.applied and recorded.status is not None:
            self.metrics.deliveries.labels(_METRIC_OUTCOME[recorded.status]).inc()
        log.info(
            "webhook.attempted",
            delivery_id=str(claimed.id),
            endpoint_id=str(claimed.endpoint_id),
            tenant_id=claimed.tenant_id,
            event_type=claimed.event_type,
            attempt=claimed.attempt,
            outcome=attempt.outcome.value,
            status_code=attempt.status_code,
            duration_ms=attempt.duration_ms,
            status=recorded.status.value if recorded.status else None,
        )

    async def _attempt(self, claimed: ClaimedDelivery) -> Attempt:
        now = datetime.now(UTC)
        try:
            secrets = unseal(self.box, claimed.secret_encrypted).signing(now)
        except SecretsUnreadable as exc:
            # Nothing is sent unsigned; the attempt counts, so the operator has the retry window
            # to restore the key (or the tenant to rotate the secret).
            log.error("webhook.secret_unreadable", endpoint_id=str(claimed.endpoint_id))
            return Attempt(
                msg_id=str(claimed.id),
                url=claimed.url,
                attempted_at=now,
                outcome=Outcome.RETRY,
                status_code=None,
                duration_ms=0,
                response_excerpt="",
                error=f"not sent: the signing secret cannot be read ({exc})",
            )
        return await deliver(
            self.client,
            url=claimed.url,
            secret=secrets,
            msg_id=str(claimed.id),
            event_type=claimed.event_type,
            payload=claimed.data,
            now=now,
            occurred_at=claimed.occurred_at,
            timeout=self.config.timeout,
        )
