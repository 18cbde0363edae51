"""Carries out due network actions: claims them, calls the network, records what happened.

The schedule lives in the database, so any number of worker replicas share it: a claim holds a
batch of due actions under a lease (no other replica takes them meanwhile), each network call is
counted before it is made, and its outcome is recorded under the same lease: a final status with
its ActionCompleted event in one transaction, or the time of the next try.
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

from beacon_shared.contracts.common import Network
from beacon_shared.contracts.ingest import ActionOutcome
from beacon_shared.contracts.moderation import NetworkAction
from beacon_shared.crypto import SecretsUnreadable
from beacon_shared.egress import egress_client
from beacon_shared.logging import get_logger
from beacon_shared.messaging import no_dm_api, reply_window, window_closed
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
from ingest.accounts.exceptions import AccountNotFound
from ingest.accounts.schemas import AccountStatus
from ingest.actions import service
from ingest.actions.metrics import ACTION_RETRIES, ACTIONS
from ingest.actions.networks.base import NetworkClient, Target, Unsupported
from ingest.actions.networks.bluesky import BlueskyClient
from ingest.actions.networks.graph import FacebookClient, InstagramClient
from ingest.actions.networks.mastodon import MastodonClient
from ingest.actions.networks.sandbox import SandboxClient
from ingest.actions.networks.x import XClient
from ingest.actions.schemas import ClaimedAction
from ingest.config import Settings

log = get_logger(__name__)

NO_CLIENT = {
    Network.custom: "custom sources have no network Beacon can act on",
    Network.linkedin: "Beacon does not act on LinkedIn comments yet",
}


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
        settled: list[Settled] = []
        while stop is None or not stop.is_set():
            now = self._now()
            async with self._sessionmaker() as session, session.begin():
                batch = await service.claim(
                    session,
                    now=now,
                    hold_until=now + self._hold,
                    lease=uuid.uuid4(),
                    limit=self._batch_size,
                )
            settled += await asyncio.gather(*(self._one(action, stop) for action in batch))
            if len(batch) < self._batch_size:
                break
        return settled

    async def _one(self, action: ClaimedAction, stop: asyncio.Event | None) -> Settled:
        async with self._slots:
            try:
                if stop is not None and stop.is_set():
                    await self._release(action)
                    return Settled(action.id, "released")
                return await self.execute(action)
            except Exception as exc:
                # Recording failed (the database): the hold expires and the action is due again;
                # a call cut off unrecorded is then treated as one whose outcome is unknown.
                log.warning("action.not_recorded", action_id=str(action.id), error=repr(exc))
                return Settled(action.id, "error", repr(exc))

    async def execute(self, action: ClaimedAction) -> Settled:
        """Carry out one claimed action as far as it goes now."""
        client = self._clients.get(action.network)
        if client is None:
            reason = NO_CLIENT.get(action.network, f"Beacon cannot act on {action.network.value}")
            return await self._finish(action, ActionOutcome.unsupported, reason)
        cannot = client.unsupported(action.action)
        if cannot is not None:
            return await self._finish(action, ActionOutcome.unsupported, cannot)
        if action.action is NetworkAction.reply and not (action.reply_text or "").strip():
            return await self._finish(action, ActionOutcome.failed, "a reply needs reply_text")
        now = self._now()
        message_tag = None
        if action.private:
            refused = _private_refusal(action, now)
            if refused is not None:
                return await self._finish(action, *refused)
            message_tag = reply_window(
                action.network, action.last_inbound_at, human_agent=action.human_agent, now=now
            ).tag
        uncertain = action.uncertain_since or action.attempt_started_at
        if uncertain is not None and not self._may_resend(client, action, now):
            return await self._finish(
                action,
                ActionOutcome.failed,
                "outcome unknown: an earlier attempt got no answer and "
                f"{action.network.value} cannot dedupe a resent reply; check the thread before "
                "asking again",
            )
        credentials: Mapping[str, str] = {}
        account_external_id = ""
        version: int | None = None
        if client.needs_account:
            found = await self._account(action)
            if isinstance(found, str):
                return await self._finish(action, ActionOutcome.failed, found)
            account_external_id, credentials, version = found
        target = Target(
            action_id=action.id,
            action=action.action,
            external_id=action.external_id,
            thread_external_id=action.thread_external_id,
            reply_text=action.reply_text,
            author_handle=action.author_handle,
            account_external_id=account_external_id,
            private=action.private,
            recipient_external_id=action.recipient_external_id,
            message_tag=message_tag,
        )
        async with self._sessionmaker() as session, session.begin():
            started = await service.start_attempt(session, action, now=now)
        if not started:
            return Settled(action.id, "lost")
        action = _started(action, now)
        try:
            done = await client.perform(self._http, credentials, target)
        except RetryLater as exc:
            return await self._retry(action, exc.reason, kind=exc.kind, after=exc.after)
        except OutcomeUnknown as exc:
            return await self._unknown(client, action, exc.reason)
        except CredentialsRefused as exc:
            return await self._refused(action, exc.reason, version)
        except NotFound as exc:
            if action.action is NetworkAction.delete and uncertain is not None:
                # An earlier delete whose answer was lost did it.
                return await self._finish(action, ActionOutcome.succeeded, None)
            return await self._finish(action, ActionOutcome.failed, exc.reason)
        except Refused as exc:
            return await self._finish(action, ActionOutcome.failed, exc.reason)
        except Unsupported as exc:
            return await self._finish(action, ActionOutcome.unsupported, exc.reason)
        except Exception as exc:
            # Unforeseen (a client's bug, an odd answer): it may have acted, so the same caution.
            log.exception("action.client_failed", action_id=str(action.id))
            return await self._unknown(
                client, action, f"outcome unknown: {type(exc).__name__} in the client"
            )
        return await self._finish(
            action,
            ActionOutcome.succeeded,
            None,
            reply_external_id=done.reply_external_id,
        )

    def _may_resend(self, client: NetworkClient, action: ClaimedAction, now: datetime) -> bool:
        """Whether a call that may already have acted can be made again: hides and deletes
        always can (doing one twice changes nothing), a reply only under an idempotency key
        the network still remembers."""
        if action.action is not NetworkAction.reply:
            return True
        window = client.idempotency_window(action.action)
        first = action.first_attempt_at or action.uncertain_since or action.attempt_started_at
        return window is not None and first is not None and now - first < window

    async def _unknown(self, client: NetworkClient, action: ClaimedAction, reason: str) -> Settled:
        now = self._now()
        if not self._may_resend(client, action, now):
            return await self._finish(action, ActionOutcome.failed, reason)
        window = client.idempotency_window(action.action)
        return await self._retry(
            action, reason, kind="outcome_unknown", after=None, uncertain=True, within=window
        )

    async def _refused(self, action: ClaimedAction, reason: str, version: int | None) -> Settled:
        """The token refused: tried again once the workspace refreshed it, or the account needs
        a person (its next actions fail at once)."""
        until = None
        if action.account_id:
            async with self._sessionmaker() as session, session.begin():
                until = await accounts.credentials_refused(
                    session,
                    account_id=UUID(action.account_id),
                    version=version,
                    reason=reason,
                    now=self._now(),
                    wait=self._policy.refresh_wait,
                )
        if until is None:
            return await self._finish(action, ActionOutcome.failed, reason, reauth=True)
        return await self._retry(
            action,
            f"the network refused the account's token: {reason}",
            kind="credentials",
            after=until,
        )

    async def _retry(
        self,
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
                action, ActionOutcome.failed, f"gave up after {action.attempts} attempts: {reason}"
            )
        next_at = policy.next_at(attempts=action.attempts, now=now, after=after)
        if next_at > action.created_at + policy.give_up_after:
            return await self._finish(
                action,
                ActionOutcome.failed,
                f"gave up: {reason}; the next try would be at {next_at.isoformat()}, "
                "past the retry window",
            )
        if uncertain and action.action is NetworkAction.reply and within is not None:
            first = action.first_attempt_at or now
            if next_at - first >= within:
                return await self._finish(action, ActionOutcome.failed, reason)
        async with self._sessionmaker() as session, session.begin():
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
        action: ClaimedAction,
        outcome: ActionOutcome,
        error: str | None,
        *,
        reply_external_id: str | None = None,
        reauth: bool = False,
    ) -> Settled:
        async with self._sessionmaker() as session, session.begin():
            row = await service.complete(
                session,
                action,
                outcome=outcome,
                error=error,
                reply_external_id=reply_external_id,
                now=self._now(),
            )
            if row is not None and reauth and action.account_id:
                # As the pollers do: the account stops until someone reconnects it, and its
                # next actions fail at once with that reason instead of calling the network.
                await accounts.mark_needs_reauth(
                    session, tenant_id=action.tenant_id, account_id=UUID(action.account_id)
                )
        if row is None:
            return Settled(action.id, "lost", error)
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

    async def _release(self, action: ClaimedAction) -> None:
        async with self._sessionmaker() as session, session.begin():
            await service.release(session, action, now=self._now())

    async def _account(
        self, action: ClaimedAction
    ) -> tuple[str, Mapping[str, str], int | None] | str:
        """The account's own network id, credentials and the registry's version of them (None
        for ingest's own account), or why it cannot act."""
        if not action.account_id:
            return "the request names no connected account"
        try:
            account_id = UUID(action.account_id)
        except ValueError:
            return f"no connected account {action.account_id}"
        async with self._sessionmaker() as session:
            try:
                account = await accounts.get(
                    session, tenant_id=action.tenant_id, account_id=account_id
                )
                if account.network != action.network.value:
                    return f"account {account_id} is on {account.network}, not {action.network}"
                if account.status == AccountStatus.needs_reauth.value:
                    return "the account needs re-authorisation: reconnect it"
                if account.status == AccountStatus.paused.value:
                    return "the account is paused"
                if account.status == AccountStatus.disconnected.value:
                    return "the account was disconnected in the workspace: connect it again"
                credentials = await accounts.decrypt_credentials(
                    session, account_id=account_id, key=self._key
                )
            except AccountNotFound:
                return f"no connected account {account_id} (was it disconnected?)"
            except SecretsUnreadable as exc:
                return f"the account's credentials cannot be read: {exc}"
        if credentials is None:
            return "the account has no credentials: reconnect it with them"
        return str(account.external_account_id), credentials, account.workspace_version


def _private_refusal(action: ClaimedAction, now: datetime) -> tuple[ActionOutcome, str] | None:
    """Why an action on a private message cannot be carried out now, before any call: hiding
    or deleting one (no network offers it), a reply on a network without a messaging API Beacon
    speaks, or outside the network's messaging window."""
    network = action.network
    if action.action is not NetworkAction.reply:
        done = "hidden" if action.action is NetworkAction.hide else "deleted"
        return (
            ActionOutcome.unsupported,
            f"a private message cannot be {done} on {network.value}: only comments can",
        )
    cannot = no_dm_api(network)
    if cannot is not None:
        return ActionOutcome.unsupported, cannot
    if not action.recipient_external_id:
        return ActionOutcome.failed, "a private reply needs its recipient's id"
    window = reply_window(network, action.last_inbound_at, human_agent=action.human_agent, now=now)
    if not window.open:
        return ActionOutcome.failed, window_closed(network, window, human_agent=action.human_agent)
    return None


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
