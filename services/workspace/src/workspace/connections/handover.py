"""Accounts ingest and the publisher connected themselves before the registry existed, handed
over once each (`<service>.account.handed_over`): the registry adopts each under the service's
id, with its credentials, and announces it as it announces any account, so that every service
keeps it from then on as a replica of the registry's.

The registry's own account wins: when it holds the network account for that brand already (a
fresher OAuth connection), it keeps it and announces it again (a new version), and the services
take their older row over by network account. An event whose credentials the keys cannot open
is a MalformedEvent: dead-lettered with the reason, never half adopted.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from pydantic import SecretStr
from sqlalchemy.ext.asyncio import AsyncSession

from beacon_shared.contracts import ingest, publisher
from beacon_shared.contracts.workspace import (
    KIND_NETWORK,
    AccountConnected,
    AccountDisconnected,
    ConnectionDeauthorized,
    HandedOverAccount,
)
from beacon_shared.crypto import SecretBox
from beacon_shared.events import Envelope, EventPayload
from beacon_shared.logging import get_logger
from beacon_shared.network_credentials import open_event_credentials, seal_for_services
from workspace.audit.service import record
from workspace.config import Settings
from workspace.connections import repository
from workspace.connections.repository import AnyRow
from workspace.connections.service import contract, stage_event

log = get_logger(__name__)
REGISTRY_KEYS = "WORKSPACE_CREDENTIALS_KEYS"
NEEDS_REAUTH = "the network refused its token before it was handed over"


@dataclass(frozen=True)
class HandOverKeys:
    """The platform's keys opening the events' credentials, and the registry's sealing them."""

    events: SecretStr | None
    registry: SecretStr | None

    @classmethod
    def of(cls, settings: Settings | None) -> HandOverKeys:
        """The keys of `settings`; none without (the events are retried, then dead-lettered)."""
        if settings is None:
            return cls(events=None, registry=None)
        return cls(events=settings.network_credentials_keys, registry=settings.credentials_keys)


class HandOver:
    """Adopts handed-over accounts with the workspace's keys."""

    def __init__(self, keys: HandOverKeys) -> None:
        self.keys = keys
        self.registry = SecretBox(keys.registry, setting=REGISTRY_KEYS)

    async def ingest(self, session: AsyncSession, envelope: Envelope) -> None:
        """An account connected through ingest's own API."""
        await self._adopt(session, envelope, envelope.payload(ingest.AccountHandedOver), "ingest")

    async def publisher(self, session: AsyncSession, envelope: Envelope) -> None:
        """An account connected through the publisher's own API."""
        account = envelope.payload(publisher.AccountHandedOver)
        await self._adopt(session, envelope, account, "publisher")

    async def _adopt(
        self, session: AsyncSession, envelope: Envelope, account: HandedOverAccount, source: str
    ) -> None:
        tenant_id = envelope.tenantid
        credentials = open_event_credentials(self.keys.events, account.credentials)
        held = await repository.holding(
            session,
            tenant_id=tenant_id,
            brand_id=account.brand_id,
            network=KIND_NETWORK[account.kind].value,
            external_id=account.external_id,
        )
        if held is not None:
            if held.id != account.account_id:
                await self._announce_again(session, held)
                log.info(
                    "account.handover_kept_registry",
                    account_id=str(held.id),
                    handed=str(account.account_id),
                )
            return
        if await repository.get_account(
            session, tenant_id=tenant_id, account_id=account.account_id
        ):
            # The id is the registry's already, for another network account: a service's
            # second hand-over after its row changed. The registry's stands.
            log.warning("account.handover_ignored", account_id=str(account.account_id))
            return
        now = datetime.now(UTC)
        actor = f"service:{source}"
        row, _ = await repository.upsert_account(
            session,
            {
                "id": account.account_id,
                "tenant_id": tenant_id,
                "brand_id": account.brand_id,
                "network": KIND_NETWORK[account.kind].value,
                "kind": account.kind.value,
                "external_id": account.external_id,
                "handle": account.handle,
                "display_name": account.display_name,
                "instance_url": account.instance_url,
                "scopes": [],
                "credentials": self.registry.encrypt(credentials),
                "connected_by": actor,
                "connected_at": account.connected_at,
                "updated_at": now,
            },
        )
        if account.needs_reauth:
            row = await repository.set_account(
                session, row.id, status="needs_reauth", status_reason=NEEDS_REAUTH, updated_at=now
            )
        await stage_event(session, row, self._announcement(row, connected_by=actor, now=now))
        await record(
            session,
            tenant_id=tenant_id,
            actor=actor,
            action="account.handed_over",
            target=f"connected_account:{row.id}",
            detail={
                "brand_id": row.brand_id,
                "network": row.network,
                "external_id": row.external_id,
            },
        )
        log.info("account.handed_over", account_id=str(row.id), source=source)

    async def _announce_again(self, session: AsyncSession, held: AnyRow) -> None:
        now = datetime.now(UTC)
        row = await repository.set_account(session, held.id, updated_at=now)
        await stage_event(
            session, row, self._announcement(row, connected_by=row.connected_by, now=now)
        )

    def _announcement(self, row: AnyRow, *, connected_by: str, now: datetime) -> EventPayload:
        """The event telling the services the account as the registry holds it now."""
        if row.status == "disconnected":
            return AccountDisconnected(
                account=contract(row),
                disconnected_by=row.disconnected_by or connected_by,
                at=row.disconnected_at or now,
            )
        if row.status == "needs_reauth":
            return ConnectionDeauthorized(
                account=contract(row), reason=row.status_reason or NEEDS_REAUTH, at=now
            )
        opened = self.registry.decrypt(row.credentials)
        return AccountConnected(
            account=contract(row),
            credentials=seal_for_services(self.keys.events, opened),
            reconnected=False,
            connected_by=connected_by,
            at=now,
        )
