"""Consumed workspace account events: ingest keeps each Facebook Page, Instagram business, X,
Mastodon and Bluesky account of the workspace's registry as a row of its own `connected_account`
table (same id), the newest version winning. Webhooks are routed, and pollers, post metrics and
network actions run, with these rows. LinkedIn accounts are left aside: ingest reads nothing
from LinkedIn.

- `workspace.account.connected` and `workspace.account.credentials.changed`: the credentials are
  opened with the platform's keys, cut down to what ingest's pollers and actions read and sealed
  again with the same keys (beacon_shared.network_credentials); the account is active (one
  paused in ingest stays paused). The next poll or action uses them.
- `workspace.account.disconnected`: the credentials are dropped and the account is
  `disconnected`: no more polls or actions, and webhooks for it are left out.
- `workspace.account.deauthorized`: the account `needs_reauth`, as when a network refuses its
  token to a poller or an action.

An event whose credentials the keys cannot open, whose kind ingest does not know, or whose
network account another organization holds is a MalformedEvent: dead-lettered with the reason,
never half applied.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from pydantic import SecretStr
from sqlalchemy.ext.asyncio import AsyncSession

from beacon_shared.consumer import Consumer
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
from beacon_shared.events import Envelope
from beacon_shared.fetch_order import in_fetch_order
from beacon_shared.logging import get_logger
from beacon_shared.network_credentials import open_event_credentials
from ingest.accounts import service
from ingest.accounts.crypto import credential_box
from ingest.accounts.replica import ingest_credentials, kind_mapping
from ingest.accounts.schemas import AccountStatus
from ingest.config import Settings

GROUP_ID = "ingest.accounts"

log = get_logger(__name__)


@dataclass(frozen=True)
class AccountKeys:
    """The keys that open the events' credentials and the keyring sealing them in ingest."""

    events: SecretStr | None
    ingest: SecretStr | None

    @classmethod
    def from_settings(cls, settings: Settings) -> AccountKeys:
        """From ingest's settings."""
        return cls(events=settings.network_credentials_keys, ingest=settings.account_keys)


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
        """Drop the account's credentials and stop everything done with it."""
        event = envelope.payload(AccountDisconnected)
        await self._keep(
            session,
            envelope.tenantid,
            event.account,
            status=AccountStatus.disconnected,
            sealed=None,
            keep_credentials=False,
        )

    async def deauthorized(self, session: AsyncSession, envelope: Envelope) -> None:
        """The network refused the account's refresh for good: it needs reconnecting."""
        event = envelope.payload(ConnectionDeauthorized)
        await self._keep(
            session,
            envelope.tenantid,
            event.account,
            status=AccountStatus.needs_reauth,
            sealed=None,
            keep_credentials=True,
        )

    async def _with_credentials(
        self, session: AsyncSession, tenant_id: str, account: ConnectedAccount, sealed: str
    ) -> None:
        mapping = kind_mapping(account)
        if mapping is None:
            _not_read(account)
            return
        opened = open_event_credentials(self.keys.events, sealed)
        credentials = ingest_credentials(mapping, opened)
        await self._keep(
            session,
            tenant_id,
            account,
            status=AccountStatus.active,
            sealed=credential_box(self.keys.ingest).encrypt(credentials),
            keep_credentials=False,
        )

    async def _keep(
        self,
        session: AsyncSession,
        tenant_id: str,
        account: ConnectedAccount,
        *,
        status: AccountStatus,
        sealed: bytes | None,
        keep_credentials: bool,
    ) -> None:
        mapping = kind_mapping(account)
        if mapping is None:
            _not_read(account)
            return
        await service.replicate(
            session,
            tenant_id=tenant_id,
            account=account,
            network=mapping.network,
            status=status,
            sealed=sealed,
            keep_credentials=keep_credentials,
            now=datetime.now(UTC),
        )


def _not_read(account: ConnectedAccount) -> None:
    log.debug("account.not_read", account_id=str(account.account_id), kind=account.kind.value)


def accounts_consumer(keys: AccountKeys) -> Consumer:
    """The group keeping the workspace's connected accounts (the publisher's own
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
