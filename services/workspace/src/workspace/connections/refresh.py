"""The refresher: access tokens renewed ahead of expiry, the new access and refresh tokens
stored in one transaction (X rotates refresh tokens: losing the new one signs the account out).

Each pass claims the active accounts expiring within the margin that no one holds, for a lease
longer than a refresh can take (`FOR UPDATE SKIP LOCKED`, then `refresh_claimed_until`), so two
refreshers never refresh one token. The result is stored only if the account did not change
meanwhile (its version): a reconnection or a disconnection wins. A refusal for good marks the
account `needs_reauth` and stages `account.deauthorized`; a network that cannot be reached is
tried again when the lease ends.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from beacon_shared.claim_call_record import ClaimCallRecord
from beacon_shared.contracts.workspace import AccountCredentialsChanged
from beacon_shared.crypto import SecretsUnreadable
from beacon_shared.logging import get_logger
from beacon_shared.network_credentials import seal_for_services
from beacon_shared.networks.oauth import OAuthRefused, OAuthUnavailable, TokenSet
from workspace.audit.service import record
from workspace.config import Settings
from workspace.connections import repository
from workspace.connections.apps import credentials_box, linkedin, x
from workspace.connections.repository import AnyRow
from workspace.connections.service import contract, deauthorize, stage_event

log = get_logger(__name__)
# Kinds whose access tokens expire and that a refresh token renews.
REFRESHABLE = ("x_user", "linkedin_member", "linkedin_organization")
ACTOR = "worker:refresher"


@dataclass
class Refresher:
    """Refreshes due accounts' tokens; `now` is the clock (tests move it)."""

    sessionmaker: async_sessionmaker[AsyncSession]
    settings: Settings
    http: httpx.AsyncClient
    now: Callable[[], datetime] = lambda: datetime.now(UTC)

    async def tick(self) -> None:
        """One pass of the worker's job: refresh what is due, and forget finished flows."""
        await self.refresh_due()
        async with self.sessionmaker() as session, session.begin():
            # A flow is kept a day past its expiry: long enough to tell a replay (409).
            await repository.forget_flows(session, expired_before=self.now() - timedelta(days=1))

    async def refresh_due(self) -> list[str]:
        """One pass: the outcome of each account claimed (refreshed, deauthorized, retry…).

        Batches are claimed until one comes back short, and a batch's accounts are refreshed
        at once: one network call at a time would cap a worker at a few refreshes a second."""
        return await self._work().until_short(self.settings.refresh_batch_size)

    async def _refresh(self, row: AnyRow) -> str:
        """Refresh one claimed account; its outcome."""
        return await self._work().settle_one(row)

    def _work(self) -> ClaimCallRecord[AnyRow, _Renewed | _NoRefreshToken, str]:
        return ClaimCallRecord(
            self.sessionmaker,
            claim=self._claim,
            call=self._ask,
            record=self._record,
            not_recorded=_not_recorded,
        )

    async def _claim(self, session: AsyncSession, limit: int) -> Sequence[AnyRow]:
        now = self.now()
        return await repository.claim_due(
            session,
            kinds=REFRESHABLE,
            due_before=now + timedelta(seconds=self.settings.refresh_margin_seconds),
            now=now,
            lease_until=now + timedelta(seconds=self.settings.refresh_lease_seconds),
            limit=limit,
        )

    async def _ask(self, row: AnyRow) -> _Renewed | _NoRefreshToken:
        """The network's new tokens for the account (or why it was not asked)."""
        now = self.now()
        credentials = credentials_box(self.settings).decrypt(row.credentials)
        refresh_token = credentials.get("refresh_token")
        if not refresh_token:
            return _NoRefreshToken(expired=row.access_expires_at <= now)
        if row.kind == "x_user":
            tokens = await x(self.settings, self.http).refresh(refresh_token)
        else:
            tokens = await linkedin(self.settings, self.http).refresh(refresh_token)
        renewed = {
            **credentials,
            "access_token": tokens.access_token,
            "refresh_token": tokens.refresh_token or refresh_token,
        }
        return _Renewed(renewed, tokens, now)

    async def _record(
        self, session: AsyncSession, row: AnyRow, result: _Renewed | _NoRefreshToken | Exception
    ) -> str:
        match result:
            case _Renewed():
                return await self._store(session, row, result)
            case _NoRefreshToken(expired=True):
                # Nothing renews it and it has expired: a person must reconnect it.
                return await self._deauthorize(session, row, "no_refresh_token")
            case _NoRefreshToken():
                # Nothing renews it: look again when it has expired.
                await repository.hold(session, row.id, until=row.access_expires_at, failed=False)
                return "waiting"
            case SecretsUnreadable():
                # A key missing from WORKSPACE_CREDENTIALS_KEYS: an operator's fix, not the
                # account's.
                log.error(
                    "account.credentials_unreadable", account_id=str(row.id), reason=str(result)
                )
                return "unreadable"
            case OAuthRefused():
                return await self._deauthorize(session, row, result.code)
            case OAuthUnavailable():
                log.warning("account.refresh_failed", account_id=str(row.id), reason=result.reason)
                await repository.hold(session, row.id, until=row.refresh_claimed_until, failed=True)
                return "retry"
            case _:
                raise result

    async def _store(self, session: AsyncSession, row: AnyRow, renewed: _Renewed) -> str:
        current = await repository.locked(session, row.id)
        if current is None or current.version != row.version:
            return "superseded"
        now, tokens = renewed.at, renewed.tokens
        updated = await repository.set_account(
            session,
            row.id,
            credentials=credentials_box(self.settings).encrypt(renewed.credentials),
            access_expires_at=tokens.access_expires_at(now),
            refresh_expires_at=tokens.refresh_expires_at(now) or row.refresh_expires_at,
            scopes=list(tokens.scopes) or list(row.scopes),
            refresh_claimed_until=None,
            refresh_failures=0,
            updated_at=now,
        )
        await stage_event(
            session,
            updated,
            AccountCredentialsChanged(
                account=contract(updated),
                credentials=seal_for_services(
                    self.settings.network_credentials_keys, renewed.credentials
                ),
                at=now,
            ),
        )
        await record(
            session,
            tenant_id=row.tenant_id,
            actor=ACTOR,
            action="account.credentials_refreshed",
            target=f"connected_account:{row.id}",
            detail={"brand_id": row.brand_id, "network": row.network},
        )
        log.info("account.refreshed", account_id=str(row.id), network=row.network)
        return "refreshed"

    async def _deauthorize(self, session: AsyncSession, row: AnyRow, reason: str) -> str:
        return await deauthorize_unless_changed(
            session, row, reason=reason, actor=ACTOR, now=self.now()
        )


@dataclass(frozen=True)
class _Renewed:
    """The account's credentials with the tokens the network issued at `at`."""

    credentials: dict[str, str]
    tokens: TokenSet
    at: datetime


@dataclass(frozen=True)
class _NoRefreshToken:
    """Nothing renews the account's token; whether it has expired already."""

    expired: bool


def _not_recorded(row: AnyRow, exc: Exception) -> str:
    """The database did not take the outcome: the account is due again when its lease ends."""
    log.warning("account.refresh_not_recorded", account_id=str(row.id), error=repr(exc))
    return "not_recorded"


async def deauthorize_unless_changed(
    session: AsyncSession, row: AnyRow, *, reason: str, actor: str, now: datetime
) -> str:
    """A worker's finding that the account needs a person, unless the account changed since it
    was claimed (a reconnection or a disconnection wins)."""
    current = await repository.locked(session, row.id)
    if current is None or current.version != row.version:
        return "superseded"
    await deauthorize(session, row, reason=reason, actor=actor, now=now)
    return "deauthorized"
