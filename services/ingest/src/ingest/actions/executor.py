"""Carries out due network actions: claims them, calls the network, records what happened.

The schedule lives in the database, so any number of worker replicas share it: the claim, call
and record of `beacon_shared.claim_call_record` holds a batch of due actions under a lease (no
other replica takes them meanwhile), each network call is counted before it is made, and its
outcome is recorded under the same lease: a final status with its ActionCompleted event in one
transaction, or the time of the next try.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from uuid import UUID

import httpx
from pydantic import SecretStr
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from beacon_shared.claim_call_record import ClaimCallRecord
from beacon_shared.contracts.common import Network
from beacon_shared.contracts.ingest import ActionOutcome
from beacon_shared.contracts.moderation import NetworkAction
from beacon_shared.egress import egress_client
from beacon_shared.logging import get_logger
from beacon_shared.network_calls import (
    CredentialsRefused,
    NotFound,
    OutcomeUnknown,
    Refused,
    RetryLater,
)
from beacon_shared.waiting import doubling, wait_or_stop
from beacon_shared.worker import Job, WorkerContext
from ingest.accounts import service as accounts
from ingest.actions import service
from ingest.actions.metrics import ACTION_RETRIES, ACTIONS
from ingest.actions.networks.base import Done, NetworkClient, Unsupported
from ingest.actions.networks.bluesky import BlueskyClient
from ingest.actions.networks.graph import FacebookClient, InstagramClient
from ingest.actions.networks.mastodon import MastodonClient
from ingest.actions.networks.sandbox import SandboxClient
from ingest.actions.networks.x import XClient
from ingest.actions.preparation import Finish, Prepared, may_resend, prepare
from ingest.actions.schemas import ClaimedAction
from ingest.config import Settings

log = get_logger(__name__)


@dataclass(frozen=True)
class RetryPolicy:
    """How often, and for how long, a retryable failure is tried again."""

    max_attempts: int = 8
    backoff_seconds: float = 10.0
    backoff_max_seconds: float = 900.0
    # Counted from when ingest received the request.
    give_up_after: timedelta = timedelta(hours=6)
    # How long an action refused for its token waits for the registry's refreshed one.
    refresh_wait: timedelta = timedelta(minutes=2)

    def next_at(self, *, attempts: int, now: datetime, after: datetime | None) -> datetime:
        """backoff * 2^(attempts-1), capped; never before what the network asked (`after`)."""
        delay = doubling(self.backoff_seconds, attempts - 1, cap=self.backoff_max_seconds)
        return max(now + timedelta(seconds=delay), after or now)


@dataclass(frozen=True)
class Settled:
    """What one claimed action came to in this run: a final outcome, `retry`, `lost` (another
    executor took it once its hold expired), `released` (stopping) or `error` (the database)."""

    action_id: UUID
    outcome: str
    error: str | None = None
    reply_external_id: str | None = None


@dataclass(frozen=True)
class _Released:
    """Not called: the executor is stopping, so the action is given back, due at once."""


@dataclass(frozen=True)
class _Lost:
    """Not called: the hold ran out first and another executor took the action."""


@dataclass(frozen=True)
class _Performed:
    """The call made: the action as its attempt left it, and the answer or the failure."""

    prepared: Prepared
    action: ClaimedAction
    answer: Done | Exception


_Called = Finish | _Released | _Lost | _Performed


def default_clients(settings: Settings) -> list[NetworkClient]:
    """One client per network Beacon can act on."""
    return [
        FacebookClient(base_url=settings.graph_api_base_url, version=settings.graph_api_version),
        InstagramClient(
            base_url=settings.instagram_api_base_url, version=settings.graph_api_version
        ),
        XClient(base_url=settings.x_api_base_url),
        MastodonClient(),
        BlueskyClient(),
        SandboxClient(),
    ]


class ActionExecutor:
    """Runs due actions a batch at a time, a few at once; never raises for one action."""

    def __init__(
        self,
        *,
        sessionmaker: async_sessionmaker[AsyncSession],
        client: httpx.AsyncClient,
        credentials_key: SecretStr | None,
        clients: Sequence[NetworkClient],
        policy: RetryPolicy | None = None,
        batch_size: int = 20,
        concurrency: int = 4,
        hold_seconds: float = 300.0,
        interval_seconds: float = 1.0,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._sessionmaker = sessionmaker
        self._http = client
        self._key = credentials_key
        self._clients: Mapping[Network, NetworkClient] = {c.network: c for c in clients}
        self._policy = policy or RetryPolicy()
        self._batch_size = batch_size
        self._slots = asyncio.Semaphore(concurrency)
        # Longer than an action's calls take: a replica that dies mid-call frees it after this.
        self._hold = timedelta(seconds=hold_seconds)
        self._interval = interval_seconds
        self._now = now

    async def run(self, stop: asyncio.Event) -> None:
        """Run due actions every interval until `stop`; calls under way are finished first."""
        while not stop.is_set():
            try:
                await self.run_due(stop)
            except Exception as exc:  # the database being away must not stop the worker
                log.warning("action.cycle_failed", error=repr(exc))
            await wait_or_stop(stop, self._interval)

    async def run_due(self, stop: asyncio.Event | None = None) -> list[Settled]:
        """Claim and run batches until none is full; what each action came to."""
        work = ClaimCallRecord(
            self._sessionmaker,
            claim=self._claim,
            call=lambda action: self._call(action, stop),
            record=self._record,
            not_recorded=_not_recorded,
            slots=self._slots,
        )
        return await work.until_short(self._batch_size, stop=stop)

    async def _claim(self, session: AsyncSession, limit: int) -> list[ClaimedAction]:
        now = self._now()
        return await service.claim(
            session, now=now, hold_until=now + self._hold, lease=uuid.uuid4(), limit=limit
        )

    async def _call(self, action: ClaimedAction, stop: asyncio.Event | None) -> _Called:
        """Carry out one claimed action as far as the network call: the attempt is counted in
        a transaction of its own before the call, so a call cut off unrecorded is known."""
        if stop is not None and stop.is_set():
            return _Released()
        now = self._now()
        prepared = await prepare(
            action,
            now=now,
            clients=self._clients,
            sessionmaker=self._sessionmaker,
            credentials_key=self._key,
        )
        if isinstance(prepared, Finish):
            return prepared
        async with self._sessionmaker() as session, session.begin():
            started = await service.start_attempt(session, action, now=now)
        if not started:
            return _Lost()
        answer: Done | Exception
        try:
            answer = await prepared.client.perform(
                self._http, prepared.credentials, prepared.target
            )
        except Exception as exc:  # what the failure means is the record's to say
            answer = exc
        return _Performed(prepared, _started(action, now), answer)

    async def _record(
        self, session: AsyncSession, action: ClaimedAction, called: _Called | Exception
    ) -> Settled:
        """What came of the call, in the record's transaction."""
        match called:
            case _Performed():
                return await self._answered(session, called)
            case Finish(outcome=outcome, reason=reason):
                return await self._finish(session, action, outcome, reason)
            case _Released():
                await service.release(session, action, now=self._now())
                return Settled(action.id, "released")
            case _Lost():
                return Settled(action.id, "lost")
            case _:
                # Not called, the database failing before the call: left to the hold.
                raise called

    async def _answered(self, session: AsyncSession, performed: _Performed) -> Settled:
        """The network's answer, or the call's failure, recorded."""
        action, answer = performed.action, performed.answer
        client = performed.prepared.client
        match answer:
            case Done(reply_external_id=reply_external_id):
                return await self._finish(
                    session,
                    action,
                    ActionOutcome.succeeded,
                    None,
                    reply_external_id=reply_external_id,
                )
            case RetryLater():
                return await self._retry(
                    session, action, answer.reason, kind=answer.kind, after=answer.after
                )
            case OutcomeUnknown():
                return await self._unknown(session, client, action, answer.reason)
            case CredentialsRefused():
                version = performed.prepared.version
                return await self._refused(session, action, answer.reason, version)
            case NotFound() if (
                action.action is NetworkAction.delete and performed.prepared.uncertain
            ):
                # An earlier delete whose answer was lost did it.
                return await self._finish(session, action, ActionOutcome.succeeded, None)
            case NotFound() | Refused():
                return await self._finish(session, action, ActionOutcome.failed, answer.reason)
            case Unsupported():
                return await self._finish(session, action, ActionOutcome.unsupported, answer.reason)
        # Unforeseen (a client's bug, an odd answer): it may have acted, so the same caution.
        log.exception("action.client_failed", action_id=str(action.id), exc_info=answer)
        reason = f"outcome unknown: {type(answer).__name__} in the client"
        return await self._unknown(session, client, action, reason)

    async def _unknown(
        self, session: AsyncSession, client: NetworkClient, action: ClaimedAction, reason: str
    ) -> Settled:
        now = self._now()
        if not may_resend(client, action, now):
            return await self._finish(session, action, ActionOutcome.failed, reason)
        window = client.idempotency_window(action.action)
        return await self._retry(
            session,
            action,
            reason,
            kind="outcome_unknown",
            after=None,
            uncertain=True,
            within=window,
        )

    async def _refused(
        self, session: AsyncSession, action: ClaimedAction, reason: str, version: int | None
    ) -> Settled:
        """The token refused: tried again once the workspace refreshed it, or the account needs
        a person (its next actions fail at once)."""
        until = None
        if action.account_id:
            until = await accounts.credentials_refused(
                session,
                account_id=UUID(action.account_id),
                version=version,
                reason=reason,
                now=self._now(),
                wait=self._policy.refresh_wait,
            )
        if until is None:
            return await self._finish(session, action, ActionOutcome.failed, reason, reauth=True)
        return await self._retry(
            session,
            action,
            f"the network refused the account's token: {reason}",
            kind="credentials",
            after=until,
        )

    async def _retry(
        self,
        session: AsyncSession,
        action: ClaimedAction,
        reason: str,
        *,
        kind: str,
        after: datetime | None,
        uncertain: bool = False,
        within: timedelta | None = None,
    ) -> Settled:
        now = self._now()
        policy = self._policy
        if action.attempts >= policy.max_attempts:
            return await self._finish(
                session,
                action,
                ActionOutcome.failed,
                f"gave up after {action.attempts} attempts: {reason}",
            )
        next_at = policy.next_at(attempts=action.attempts, now=now, after=after)
        if next_at > action.created_at + policy.give_up_after:
            return await self._finish(
                session,
                action,
                ActionOutcome.failed,
                f"gave up: {reason}; the next try would be at {next_at.isoformat()}, "
                "past the retry window",
            )
        if uncertain and action.action is NetworkAction.reply and within is not None:
            first = action.first_attempt_at or now
            if next_at - first >= within:
                return await self._finish(session, action, ActionOutcome.failed, reason)
        kept = await service.retry(
            session, action, next_at=next_at, error=reason, uncertain=uncertain, now=now
        )
        if not kept:
            return Settled(action.id, "lost", reason)
        ACTION_RETRIES.labels(action.network.value, action.action.value, kind).inc()
        log.info(
            "action.retry",
            action_id=str(action.id),
            network=action.network.value,
            action=action.action.value,
            attempts=action.attempts,
            reason=reason,
            next_at=next_at.isoformat(),
        )
        return Settled(action.id, "retry", reason)

    async def _finish(
        self,
        session: AsyncSession,
        action: ClaimedAction,
        outcome: ActionOutcome,
        error: str | None,
        *,
        reply_external_id: str | None = None,
        reauth: bool = False,
    ) -> Settled:
        row = await service.complete(
            session,
            action,
            outcome=outcome,
            error=error,
            reply_external_id=reply_external_id,
            now=self._now(),
        )
        if row is None:
            return Settled(action.id, "lost", error)
        if reauth and action.account_id:
            # As the pollers do: the account stops until someone reconnects it, and its
            # next actions fail at once with that reason instead of calling the network.
            await accounts.mark_needs_reauth(
                session, tenant_id=action.tenant_id, account_id=UUID(action.account_id)
            )
        ACTIONS.labels(action.network.value, action.action.value, outcome.value).inc()
        emit = log.info if outcome is ActionOutcome.succeeded else log.warning
        emit(
            "action.completed",
            action_id=str(action.id),
            network=action.network.value,
            action=action.action.value,
            outcome=outcome.value,
            attempts=row.attempts,
            error=error,
        )
        return Settled(action.id, outcome.value, error, reply_external_id)


def _started(action: ClaimedAction, now: datetime) -> ClaimedAction:
    """The action as start_attempt left it; an interrupted earlier call now counts as uncertain,
    and the call under way is not an interrupted one."""
    return replace(
        action,
        attempts=action.attempts + 1,
        first_attempt_at=action.first_attempt_at or now,
        uncertain_since=action.uncertain_since or action.attempt_started_at,
        attempt_started_at=None,
    )


def _not_recorded(action: ClaimedAction, exc: Exception) -> Settled:
    """The database failed before the call or at its record: the hold expires and the action is
    due again; a call cut off unrecorded is then treated as one whose outcome is unknown."""
    log.warning("action.not_recorded", action_id=str(action.id), error=repr(exc))
    return Settled(action.id, "error", repr(exc))


def action_job(ctx: WorkerContext) -> Job:
    """The worker job that carries out requested network actions."""
    settings = ctx.settings
    if not isinstance(settings, Settings):
        raise TypeError("the ingest worker needs ingest's Settings")

    async def run(stop: asyncio.Event) -> None:
        timeout = httpx.Timeout(settings.action_timeout_seconds)
        async with egress_client(settings.egress, timeout=timeout) as client:
            executor = ActionExecutor(
                sessionmaker=ctx.sessionmaker,
                client=client,
                credentials_key=settings.account_keys,
                clients=default_clients(settings),
                policy=RetryPolicy(
                    max_attempts=settings.action_max_attempts,
                    backoff_seconds=settings.action_backoff_seconds,
                    backoff_max_seconds=settings.action_backoff_max_seconds,
                    give_up_after=timedelta(seconds=settings.action_give_up_seconds),
                    refresh_wait=timedelta(seconds=settings.credentials_refresh_wait_seconds),
                ),
                batch_size=settings.action_batch_size,
                concurrency=settings.action_concurrency,
                hold_seconds=settings.action_hold_seconds,
                interval_seconds=settings.action_interval_seconds,
            )
            await executor.run(stop)

    return run
