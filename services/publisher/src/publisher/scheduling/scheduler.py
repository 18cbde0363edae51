"""The scheduler job: claim due targets briefly, publish outside any transaction, record it."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from beacon_shared.claim_call_record import ClaimCallRecord
from beacon_shared.crypto import SecretBox
from beacon_shared.logging import get_logger
from beacon_shared.network_calls import CredentialsRefused, OutcomeUnknown, RetryLater
from beacon_shared.waiting import Backoff, doubling, wait_or_stop
from publisher.accounts import service as accounts
from publisher.campaigns.service import CampaignRow
from publisher.connectors.base import (
    Account,
    Connector,
    PublishContent,
    PublishResult,
)
from publisher.connectors.registry import ConnectorRegistry, NoConnector
from publisher.delivery import service as delivery
from publisher.delivery import targets
from publisher.delivery.service import ClaimedTarget, Published
from publisher.scheduling.claimed import Claimed, Looked, Sent, correlated, with_accounts
from publisher.scheduling.config import SchedulerConfig
from publisher.scheduling.metrics import PUBLISH_LAG, PUBLISH_OUTCOMES
from publisher.scheduling.preparation import (
    NotPublishable,
    content_for,
    published_text,
    tagged_variant,
)
from publisher.scheduling.reconciliation import find_published

log = get_logger(__name__)


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
        self._publishing = ClaimCallRecord(
            sessionmaker,
            claim=self._claim_due,
            call=self._send,
            record=self._record_sent,
            not_recorded=self._not_recorded,
        )
        self._reconciling = ClaimCallRecord(
            sessionmaker,
            claim=self._claim_unconfirmed,
            call=self._look,
            record=self._record_looked,
            not_recorded=self._not_recorded,
        )

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
                claimed: Sequence[Claimed] = []
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
                        task = asyncio.create_task(self._settle(claimed))
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
        await self._settle(claimed)
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

    async def _claim(self, limit: int) -> Sequence[Claimed]:
        return await self._publishing.claimed(limit)

    async def _settle(self, claimed: Sequence[Claimed]) -> None:
        await self._publishing.settle(claimed)

    async def reconcile(self) -> int:
        """Settle one batch of targets whose outcome is unknown; returns how many were looked at."""
        looked = await self._reconciling.once(self.config.batch_size)
        await self.flush()
        return len(looked)

    async def update_lag(self) -> float:
        """Set and return the publish lag: how long the oldest due target has waited."""
        now = datetime.now(UTC)
        async with self.sessionmaker() as session:
            oldest = await delivery.oldest_due_at(session, now=now)
        lag = 0.0 if oldest is None else max(0.0, (now - oldest).total_seconds())
        PUBLISH_LAG.set(lag)
        return lag

    # Claims: the targets with their accounts and campaigns, read in the claim's transaction.

    async def _claim_due(self, session: AsyncSession, limit: int) -> list[Claimed]:
        claimed = await delivery.claim_due(
            session,
            now=datetime.now(UTC),
            lease=self.config.lease,
            worker_id=self.config.worker_id,
            limit=limit,
        )
        return await with_accounts(session, claimed, self.box)

    async def _claim_unconfirmed(self, session: AsyncSession, limit: int) -> list[Claimed]:
        claimed = await delivery.claim_unconfirmed(
            session,
            now=datetime.now(UTC),
            lease=self.config.lease,
            worker_id=self.config.worker_id,
            limit=limit,
        )
        return await with_accounts(session, claimed, self.box)

    # Publishing: the call, then its record.

    async def _send(self, claimed: Claimed) -> Sent:
        with correlated(claimed.target):
            account = claimed.usable_account()
            connector = self.connectors.get(claimed.target.network)
            content = await self._content(claimed.target, claimed.campaign)
            try:
                result: PublishResult | Exception = await self._call(
                    connector, account, content, claimed.target
                )
            except Exception as exc:
                result = exc
            return Sent(account, connector, result)

    async def _record_sent(
        self, session: AsyncSession, claimed: Claimed, result: Sent | Exception
    ) -> None:
        target = claimed.target
        with correlated(target):
            if isinstance(result, NoConnector):
                await self._fail(session, target, str(result), "refused")
            elif isinstance(result, NotPublishable):
                if result.retryable:
                    await self._retry_or_fail(session, target, result.reason, after=None)
                else:
                    await self._fail(session, target, result.reason, result.kind)
            elif isinstance(result, Exception):
                raise result  # not called, for no reason of its own: the lease brings it back
            else:
                await self._record_answer(session, target, result)

    async def _record_answer(
        self, session: AsyncSession, claimed: ClaimedTarget, sent: Sent
    ) -> None:
        answer = sent.result
        if isinstance(answer, RetryLater):
            await self._retry_or_fail(session, claimed, answer.reason, after=answer.after)
        elif isinstance(answer, CredentialsRefused):
            await self._refused_credentials(session, claimed, sent.account, answer.reason)
        elif isinstance(answer, OutcomeUnknown | TimeoutError):
            error = _describe(answer, self.config.publish_timeout)
            await self._unknown(session, claimed, sent.connector, error)
        elif isinstance(answer, Exception):
            # Refused by the network, or a connector bug: sending it again would not help.
            error = _describe(answer, self.config.publish_timeout)
            await self._fail(session, claimed, error, "refused")
        else:
            self._confirmed(claimed, answer, sent.account)

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

    def _not_recorded(self, claimed: Claimed, exc: Exception) -> None:
        # Recording failed (the database, usually); the lease expiry brings it back.
        log.warning(
            "scheduler.outcome_not_recorded",
            target_id=str(claimed.target.target_id),
            error=repr(exc),
        )

    # Reconciliation: the account's recent posts looked at, then what was found recorded.

    async def _look(self, claimed: Claimed) -> Looked:
        target = claimed.target
        with correlated(target):
            account = claimed.usable_account()
            now = datetime.now(UTC)
            since = (target.unconfirmed_at or now) - self.config.lease
            try:
                connector = self.connectors.get(target.network)
                # Only the text is matched: the media are not fetched again to look for the post.
                text = published_text(target, tagged_variant(target, claimed.campaign))
                recent = await connector.recent_posts(account, since)
            except Exception as exc:
                return Looked(account, now, exc)
            return Looked(
                account,
                now,
                find_published(text, recent),
                remembered=self._key_remembered(target, connector, now),
            )

    async def _record_looked(
        self, session: AsyncSession, claimed: Claimed, result: Looked | Exception
    ) -> None:
        target = claimed.target
        with correlated(target):
            if isinstance(result, NotPublishable):
                await self._fail(session, target, result.reason, result.kind)
            elif isinstance(result, Exception):
                raise result
            else:
                await self._record_found(session, target, result)

    async def _record_found(
        self, session: AsyncSession, claimed: ClaimedTarget, looked: Looked
    ) -> None:
        found, now = looked.found, looked.now
        if isinstance(found, CredentialsRefused):
            await self._refused_credentials(session, claimed, looked.account, found.reason)
        elif isinstance(found, Exception):
            # The network cannot be asked now: ask again later, never send blindly meanwhile.
            log.warning(
                "target.reconcile_failed", target_id=str(claimed.target_id), error=repr(found)
            )
            await self._look_again(session, claimed, now)
        elif found is not None:
            self._published.append(
                Published(
                    claimed,
                    external_id=found.external_id,
                    url=found.url,
                    published_at=found.created_at,
                    confirmed_by="reconciled",
                    external_account_id=looked.account.external_account_id,
                )
            )
        elif looked.remembered:
            # Not listed yet, but the network dedupes this key: sending again is safe now.
            error = "not found among the account's posts"
            await self._retry_or_fail(session, claimed, error, after=now)
        elif (
            claimed.unconfirmed_at is not None
            and now - claimed.unconfirmed_at < self.config.reconcile_settle
        ):
            await self._look_again(session, claimed, now)
        else:
            # Not out after the settle time: sending again cannot make a second post.
            error = "not found among the account's posts"
            await self._retry_or_fail(session, claimed, error, after=now)

    async def _look_again(
        self, session: AsyncSession, claimed: ClaimedTarget, now: datetime
    ) -> None:
        await delivery.reconcile_later(
            session,
            claimed,
            worker_id=self.config.worker_id,
            at=now + self.config.reconcile_delay,
            now=now,
        )

    # Outcomes, each recorded in the session of the record.

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

    async def _unknown(
        self, session: AsyncSession, claimed: ClaimedTarget, connector: Connector, error: str
    ) -> None:
        if self._key_remembered(claimed, connector, datetime.now(UTC)):
            # The network dedupes this key for a while yet: sending again cannot post twice.
            await self._retry_or_fail(session, claimed, error, after=None)
            return
        now = datetime.now(UTC)
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
        self, session: AsyncSession, claimed: ClaimedTarget, account: Account, reason: str
    ) -> None:
        now = datetime.now(UTC)
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
            PUBLISH_OUTCOMES.labels(claimed.network.value, "retried").inc()
            return
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

    async def _fail(
        self, session: AsyncSession, claimed: ClaimedTarget, error: str, kind: str
    ) -> None:
        await delivery.record_failed(
            session, claimed, error=error, kind=kind, now=datetime.now(UTC)
        )
        PUBLISH_OUTCOMES.labels(claimed.network.value, "failed").inc()

    async def _retry_or_fail(
        self, session: AsyncSession, claimed: ClaimedTarget, error: str, *, after: datetime | None
    ) -> None:
        if claimed.attempts >= self.config.max_attempts:
            await self._fail(
                session, claimed, f"gave up after {claimed.attempts} attempts: {error}", "exhausted"
            )
            return
        now = datetime.now(UTC)
        retry_at = now + timedelta(
            seconds=doubling(self.config.retry_backoff.total_seconds(), claimed.attempts - 1)
        )
        if after is not None:
            retry_at = max(after, now)
        await delivery.retry_later(
            session,
            claimed,
            worker_id=self.config.worker_id,
            error=error,
            retry_at=retry_at,
            now=now,
        )
        PUBLISH_OUTCOMES.labels(claimed.network.value, "retried").inc()


def _describe(exc: BaseException, timeout: float) -> str:
    if isinstance(exc, TimeoutError):
        return f"no answer from the network within {timeout:g}s; outcome unknown"
    reason = getattr(exc, "reason", None) or str(exc)
    return f"{type(exc).__name__}: {reason}" if reason else type(exc).__name__
