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

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

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
        batch = self.settings.refresh_batch_size
        outcomes: list[str] = []
        while True:
            now = self.now()
            async with self.sessionmaker() as session, session.begin():
                claimed = await repository.claim_due(
                    session,
                    kinds=REFRESHABLE,
                    due_before=now + timedelta(seconds=self.settings.refresh_margin_seconds),
                    now=now,
                    lease_until=now + timedelta(seconds=self.settings.refresh_lease_seconds),
                    limit=batch,
                )
            outcomes += await asyncio.gather(*(self._refresh(row) for row in claimed))
            if len(claimed) < batch:
                return outcomes

    async def _refresh(self, row: AnyRow) -> str:
        box = credentials_box(self.settings)
        now = self.now()
        try:
            credentials = box.decrypt(row.credentials)
        except SecretsUnreadable as exc:
            # A key missing from WORKSPACE_CREDENTIALS_KEYS: an operator's fix, not the account's.
            log.error("account.credentials_unreadable", account_id=str(row.id), reason=str(exc))
            return "unreadable"
        refresh_token = credentials.get("refresh_token")
        if not refresh_token:
            # Nothing renews it: look again when it has expired, and ask for a person then.
            if row.access_expires_at <= now:
                return await self._deauthorize(row, "no_refresh_token")
            async with self.sessionmaker() as session, session.begin():
                await repository.hold(session, row.id, until=row.access_expires_at, failed=False)
            return "waiting"
        try:
            tokens = await self._ask(row.kind, refresh_token)
        except OAuthRefused as exc:
            return await self._deauthorize(row, exc.code)
        except OAuthUnavailable as exc:
            log.warning("account.refresh_failed", account_id=str(row.id), reason=exc.reason)
            async with self.sessionmaker() as session, session.begin():
                await repository.hold(session, row.id, until=row.refresh_claimed_until, failed=True)
            return "retry"
        renewed = {
            **credentials,
            "access_token": tokens.access_token,
            "refresh_token": tokens.refresh_token or refresh_token,
        }
        async with self.sessionmaker() as session, session.begin():
            current = await repository.locked(session, row.id)
            if current is None or current.version != row.version:
                return "superseded"
            updated = await repository.set_account(
                session,
                row.id,
                credentials=box.encrypt(renewed),
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
                    credentials=seal_for_services(self.settings.network_credentials_keys, renewed),
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

    async def _ask(self, kind: str, refresh_token: str) -> TokenSet:
        if kind == "x_user":
            return await x(self.settings, self.http).refresh(refresh_token)
        return await linkedin(self.settings, self.http).refresh(refresh_token)

    async def _deauthorize(self, row: AnyRow, reason: str) -> str:
        return await deauthorize_unless_changed(
            self.sessionmaker, row, reason=reason, actor=ACTOR, now=self.now()
        )


async def deauthorize_unless_changed(
    sessionmaker: async_sessionmaker[AsyncSession],
    row: AnyRow,
    *,
    reason: str,
    actor: str,
    now: datetime,
) -> str:
    """A worker's finding that the account needs a person, in its own transaction, unless the
    account changed since it was claimed (a reconnection or a disconnection wins)."""
    async with sessionmaker() as session, session.begin():
        current = await repository.locked(session, row.id)
        if current is None or current.version != row.version:
            return "superseded"
        await deauthorize(session, row, reason=reason, actor=actor, now=now)
    return "deauthorized"
