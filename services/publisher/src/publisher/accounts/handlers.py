"""Consumed workspace account events: the publisher keeps each account of the workspace's
registry as a row of its own `account` table (same id), the newest version winning.

- `workspace.account.connected` and `workspace.account.credentials.changed`: the credentials
  are opened with the platform's keys, cut down to what the account's connector reads and
  sealed again with the same keys (beacon_shared.network_credentials); the account is active (a
  paused one stays paused) and its targets lose their warnings. The next publish uses them.
- `workspace.account.disconnected`: the credentials are dropped, the account is `disconnected`,
  and each of its targets not out yet gets a warning at once; at its time it fails (`account`).
- `workspace.account.deauthorized`: the account `needs_reauth`; its targets not out yet get a
  warning and the tenant an `account.needs_reauth` webhook at once, not when they fail.

An event whose credentials the key cannot open (beacon_shared.network_credentials), or whose
account the publisher cannot publish as, is a MalformedEvent: dead-lettered with the reason,
never half applied. Without NETWORK_CREDENTIALS_KEYS the credentials events are retried, then
dead-lettered, to be replayed once it is set.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pydantic import SecretStr
from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncSession

from beacon_shared.consumer import Consumer
from beacon_shared.contracts.publisher import AccountDeauthorized
from beacon_shared.contracts.topics import (
    ACCOUNT_CONNECTED,
    ACCOUNT_CREDENTIALS_CHANGED,
    ACCOUNT_DEAUTHORIZED,
    ACCOUNT_DISCONNECTED,
)
from beacon_shared.contracts.workspace import (
    AccountConnected,
    AccountCredentialsChanged,
    AccountDisconnected,
    ConnectedAccount,
    ConnectionDeauthorized,
)
from beacon_shared.crypto import SecretBox
from beacon_shared.events import Envelope
from beacon_shared.fetch_order import in_fetch_order
from beacon_shared.logging import get_logger
from beacon_shared.network_credentials import open_event_credentials
from publisher.accounts import service
from publisher.accounts.models import AccountStatus
from publisher.accounts.replica import publishing_credentials
from publisher.config import Settings, account_box
from publisher.delivery import targets
from publisher.webhooks import service as webhooks

log = get_logger(__name__)
GROUP_ID = "publisher.accounts"
# A webhook names this many of the flagged targets (soonest first) and counts them all.
MAX_TARGETS_NAMED = 100


@dataclass(frozen=True)
class AccountKeys:
    """The platform's keys that open the events' credentials, and the box sealing them here."""

    events: SecretStr | None
    publisher: SecretBox

    @classmethod
    def from_settings(cls, settings: Settings) -> AccountKeys:
        """From the publisher's settings."""
        return cls(events=settings.network_credentials_keys, publisher=account_box(settings))

    @classmethod
    def none(cls) -> AccountKeys:
        """No keys at all: the credentials events are retried, then dead-lettered."""
        return cls(events=None, publisher=SecretBox(None, setting="PUBLISHER_CREDENTIALS_KEY"))


def _flagged(rows: Sequence[Row[Any]]) -> dict[str, Any]:
    return {
        "targets_flagged": len(rows),
        "targets": [
            {"target_id": str(r.id), "post_id": str(r.post_id), "due_at": r.due_at.isoformat()}
            for r in rows[:MAX_TARGETS_NAMED]
        ],
    }


class AccountHandlers:
    """The handlers of the workspace's four account events, with the keys they need."""

    def __init__(self, keys: AccountKeys) -> None:
        self.keys = keys

    async def connected(self, session: AsyncSession, envelope: Envelope) -> None:
        """Keep the newly connected (or reconnected) account and its credentials."""
        event = envelope.payload(AccountConnected)
        await self._with_credentials(session, envelope.tenantid, event.account, event.credentials)

    async def credentials_changed(self, session: AsyncSession, envelope: Envelope) -> None:
        """Replace the account's credentials with the refreshed ones."""
        event = envelope.payload(AccountCredentialsChanged)
        await self._with_credentials(session, envelope.tenantid, event.account, event.credentials)

    async def disconnected(self, session: AsyncSession, envelope: Envelope) -> None:
        """Drop the account's credentials, stop it and flag its targets not out yet."""
        event = envelope.payload(AccountDisconnected)
        now = datetime.now(UTC)
        row = await _replicate(
            session,
            tenant_id=envelope.tenantid,
            account=event.account,
            status=AccountStatus.disconnected,
            reason="disconnected in the workspace",
            sealed=None,
            keep_credentials=False,
            now=now,
        )
        if row is None:
            return
        flagged = await targets.warn_account_targets(
            session,
            tenant_id=envelope.tenantid,
            account_id=row.id,
            warning="the account was disconnected in the workspace",
            kind="account",
            now=now,
        )
        await webhooks.notify(
            session,
            tenant_id=envelope.tenantid,
            event_type="account.disconnected",
            data={
                "account_id": str(row.id),
                "brand_id": row.brand_id,
                "network": row.network,
                "handle": row.handle,
                "disconnected_by": event.disconnected_by,
                "at": event.at.isoformat(),
                **_flagged(flagged),
            },
            brand_id=row.brand_id,
        )

    async def deauthorized(self, session: AsyncSession, envelope: Envelope) -> None:
        """Mark the account needs_reauth and, at once, flag its targets and tell the tenant."""
        event = envelope.payload(ConnectionDeauthorized)
        now = datetime.now(UTC)
        row = await _replicate(
            session,
            tenant_id=envelope.tenantid,
            account=event.account,
            status=AccountStatus.needs_reauth,
            reason=event.reason,
            sealed=None,
            keep_credentials=True,
            now=now,
        )
        if row is None:
            return
        flagged = await targets.warn_account_targets(
            session,
            tenant_id=envelope.tenantid,
            account_id=row.id,
            warning=f"the account needs reconnecting: {event.reason}",
            kind="credentials",
            now=now,
        )
        payload = AccountDeauthorized(
            account_id=row.id,
            brand_id=row.brand_id,
            network=row.network,
            handle=row.handle,
            reason=event.reason,
            at=event.at,
        )
        await webhooks.notify(
            session,
            tenant_id=envelope.tenantid,
            event_type="account.needs_reauth",
            data={**payload.model_dump(mode="json"), **_flagged(flagged)},
            brand_id=row.brand_id,
        )

    async def _with_credentials(
        self, session: AsyncSession, tenant_id: str, account: ConnectedAccount, sealed: str
    ) -> None:
        opened = open_event_credentials(self.keys.events, sealed)
        credentials = publishing_credentials(account, opened)
        now = datetime.now(UTC)
        row = await _replicate(
            session,
            tenant_id=tenant_id,
            account=account,
            status=AccountStatus.active,
            reason=None,
            sealed=self.keys.publisher.encrypt(credentials),
            keep_credentials=False,
            now=now,
        )
        if row is not None:
            await targets.clear_account_warnings(
                session, tenant_id=tenant_id, account_id=row.id, now=now
            )


async def _replicate(
    session: AsyncSession, *, tenant_id: str, account: ConnectedAccount, **change: Any
) -> Row[Any] | None:
    """Keep the workspace account's newer version, and take over the publisher's own account of
    the same network account and brand: its targets and queue go to the workspace's (a post
    already on both keeps its target there, and the own account stays, named in the log)."""
    row = await service.replicate(session, tenant_id=tenant_id, account=account, **change)
    if row is None:
        return None
    now = datetime.now(UTC)
    for own in await service.own_holders(session, tenant_id=tenant_id, replica=row):
        left = await targets.move_account_targets(
            session, tenant_id=tenant_id, from_account=own, to_account=row.id, now=now
        )
        if left:
            log.warning(
                "account.takeover_partial", account_id=str(row.id), kept=str(own), targets=left
            )
            continue
        await service.merge_into(session, account_id=own, into=row.id)
    return row


def accounts_consumer(keys: AccountKeys) -> Consumer:
    """The group keeping the workspace's connected accounts (the publisher's own older
    `publisher.account.deauthorized` events on account.deauthorized are skipped)."""
    handlers = AccountHandlers(keys)
    return in_fetch_order(
        GROUP_ID,
        [
            ACCOUNT_CONNECTED.name,
            ACCOUNT_CREDENTIALS_CHANGED.name,
            ACCOUNT_DISCONNECTED.name,
            ACCOUNT_DEAUTHORIZED.name,
        ],
        {
            AccountConnected.event_type: handlers.connected,
            AccountCredentialsChanged.event_type: handlers.credentials_changed,
            AccountDisconnected.event_type: handlers.disconnected,
            ConnectionDeauthorized.event_type: handlers.deauthorized,
        },
    )
