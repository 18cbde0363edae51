"""Connected accounts' registry: what a login grants is stored in one transaction with its events
and audit, or nothing is; listed, read, deauthorized and disconnected."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from beacon_shared.auth.brands import require_on
from beacon_shared.auth.principal import Principal
from beacon_shared.contracts.workspace import (
    KIND_NETWORK,
    AccountConnected,
    AccountDisconnected,
    AccountKind,
    ConnectedAccount,
    ConnectionDeauthorized,
)
from beacon_shared.events import Envelope, EventPayload
from beacon_shared.logging import get_logger
from beacon_shared.network_credentials import seal_for_services
from beacon_shared.networks.oauth import (
    GrantedAccount,
)
from beacon_shared.outbox import stage
from beacon_shared.pagination import Cursor, split_page
from workspace.audit.service import record
from workspace.config import Settings
from workspace.connections import repository
from workspace.connections.apps import credentials_box
from workspace.connections.exceptions import (
    ConnectedAccountNotFound,
)
from workspace.connections.repository import AnyRow
from workspace.db import outbox

log = get_logger(__name__)
SOURCE = "/beacon/workspace"
# Kinds whose tokens the network revokes on Beacon's request. A Meta Page token cannot be revoked
# on its own (only the person's whole grant of the app, with the user token, which is not kept);
# a Bluesky app password is revoked by its owner in Bluesky's settings.
REVOCABLE = ("x_user", "linkedin_member", "linkedin_organization", "mastodon")


# The registry ---------------------------------------------------------------------------------


def contract(row: AnyRow) -> ConnectedAccount:
    """An account as its events carry it (never its credentials)."""
    return ConnectedAccount.model_validate(
        {
            "account_id": row.id,
            "brand_id": row.brand_id,
            "network": row.network,
            "kind": row.kind,
            "external_id": row.external_id,
            "handle": row.handle,
            "display_name": row.display_name,
            "instance_url": row.instance_url,
            "scopes": list(row.scopes),
            "access_expires_at": row.access_expires_at,
            "version": row.version,
        }
    )


async def stage_event(session: AsyncSession, row: AnyRow, payload: EventPayload) -> None:
    """Stage one event about an account, keyed by it, in the caller's transaction."""
    envelope = Envelope.build(payload, tenant_id=row.tenant_id, subject=str(row.id), source=SOURCE)
    await stage(session, outbox, [envelope])


async def store(
    session: AsyncSession,
    *,
    settings: Settings,
    tenant_id: str,
    brand_id: str,
    actor: str,
    granted: Sequence[GrantedAccount],
    now: datetime,
) -> list[AnyRow]:
    """Store (or connect again) every account a login granted, each with its event and audit."""
    box = credentials_box(settings)
    rows = []
    for account in granted:
        kind = AccountKind(account.kind)
        row, new = await repository.upsert_account(
            session,
            {
                "id": uuid.uuid4(),
                "tenant_id": tenant_id,
                "brand_id": brand_id,
                "network": KIND_NETWORK[kind].value,
                "kind": kind.value,
                "external_id": account.external_id,
                "handle": account.handle,
                "display_name": account.display_name,
                "instance_url": account.instance_url,
                "scopes": list(account.scopes),
                "access_expires_at": account.access_expires_at,
                "refresh_expires_at": account.refresh_expires_at,
                "credentials": box.encrypt(account.credentials),
                "connected_by": actor,
                "connected_at": now,
                "updated_at": now,
            },
        )
        await stage_event(
            session,
            row,
            AccountConnected(
                account=contract(row),
                credentials=seal_for_services(
                    settings.network_credentials_keys, dict(account.credentials)
                ),
                reconnected=not new,
                connected_by=actor,
                at=now,
            ),
        )
        await record(
            session,
            tenant_id=tenant_id,
            actor=actor,
            action="account.reconnected" if not new else "account.connected",
            target=f"connected_account:{row.id}",
            detail={
                "brand_id": brand_id,
                "network": row.network,
                "kind": row.kind,
                "external_id": row.external_id,
            },
        )
        rows.append(row)
    return rows


async def list_page(
    session: AsyncSession,
    *,
    principal: Principal,
    brand_id: str | None,
    network: str | None,
    status: str | None,
    cursor: str | None,
    limit: int,
) -> tuple[Sequence[AnyRow], str | None]:
    """One page of the accounts the credential may read, newest first."""
    rows = await repository.page(
        session,
        tenant_id=principal.tenant_id,
        brand_ids=principal.brands_for("accounts:read"),
        brand_id=brand_id,
        network=network,
        status=status,
        after=Cursor.decode(cursor) if cursor else None,
        limit=limit + 1,
    )
    return split_page(rows, limit, at="created_at")


async def get(session: AsyncSession, *, principal: Principal, account_id: UUID) -> AnyRow:
    """One account the credential may read, or ConnectedAccountNotFound."""
    row = await repository.get_account(
        session, tenant_id=principal.tenant_id, account_id=account_id
    )
    if row is None or not principal.allows_on("accounts:read", row.brand_id):
        raise ConnectedAccountNotFound(f"No connected account {account_id} here.")
    return row


async def deauthorize(
    session: AsyncSession, row: AnyRow, *, reason: str, actor: str, now: datetime
) -> AnyRow:
    """Mark the account needs_reauth for `reason` and stage `account.deauthorized` with its
    audit entry (the services flag its scheduled posts and send the webhook); its row after."""
    updated = await repository.set_account(
        session,
        row.id,
        status="needs_reauth",
        status_reason=reason,
        refresh_claimed_until=None,
        updated_at=now,
    )
    await stage_event(
        session, updated, ConnectionDeauthorized(account=contract(updated), reason=reason, at=now)
    )
    await record(
        session,
        tenant_id=row.tenant_id,
        actor=actor,
        action="account.deauthorized",
        target=f"connected_account:{row.id}",
        detail={"brand_id": row.brand_id, "network": row.network, "reason": reason},
    )
    log.warning("account.deauthorized", account_id=str(row.id), reason=reason, actor=actor)
    return updated


async def disconnect(session: AsyncSession, *, principal: Principal, account_id: UUID) -> None:
    """Forget the account's credentials and stop using it (again: nothing changes); its tokens
    are kept, sealed, only until the worker has revoked them at the network."""
    row = await repository.get_account(
        session, tenant_id=principal.tenant_id, account_id=account_id, lock=True
    )
    if row is None or not principal.allows_on("accounts:read", row.brand_id):
        raise ConnectedAccountNotFound(f"No connected account {account_id} here.")
    require_on(principal, "accounts:write", row.brand_id)
    if row.status == "disconnected":
        return
    now = datetime.now(UTC)
    revoke = row.credentials is not None and row.kind in REVOCABLE
    if revoke:
        await repository.add_revocation(
            session,
            {
                "id": uuid.uuid4(),
                "tenant_id": row.tenant_id,
                "brand_id": row.brand_id,
                "account_id": row.id,
                "network": row.network,
                "kind": row.kind,
                "instance_url": row.instance_url,
                "credentials": row.credentials,
                "due_at": now,
            },
        )
    row = await repository.set_account(
        session,
        row.id,
        status="disconnected",
        status_reason=None,
        credentials=None,
        disconnected_at=now,
        disconnected_by=principal.actor,
        refresh_claimed_until=None,
        updated_at=now,
    )
    await stage_event(
        session,
        row,
        AccountDisconnected(account=contract(row), disconnected_by=principal.actor, at=now),
    )
    await record(
        session,
        tenant_id=principal.tenant_id,
        actor=principal.actor,
        action="account.disconnected",
        target=f"connected_account:{row.id}",
        detail={
            "brand_id": row.brand_id,
            "network": row.network,
            "external_id": row.external_id,
            "revocation": revoke,
        },
    )
