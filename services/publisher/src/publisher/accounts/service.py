"""Publishing accounts: connecting them, their credentials, their state and their queues."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncSession

from beacon_shared import outbox, refresh_requests
from beacon_shared.contracts.common import Network
from beacon_shared.contracts.publisher import AccountDeauthorized, AccountRefreshRequested
from beacon_shared.contracts.workspace import ConnectedAccount
from beacon_shared.crypto import SecretBox
from beacon_shared.events import Envelope
from beacon_shared.logging import get_logger
from beacon_shared.pagination import Cursor, split_page
from beacon_shared.refresh_requests import RefreshRequests
from beacon_shared.registry_problems import ConnectInWorkspace, ManagedInWorkspace
from beacon_shared.reseal import Sealed
from publisher.accounts import repository
from publisher.accounts.exceptions import (
    AccountAlreadyConnected,
    AccountNetworkMismatch,
    AccountNotFound,
    MastodonOnly,
    UnknownAccounts,
)
from publisher.accounts.models import AccountSource, AccountStatus
from publisher.accounts.models import account as account_table
from publisher.accounts.replica import replica_of
from publisher.accounts.schemas import AccountIn, AccountPatch, AccountQuery, Slot
from publisher.db import outbox as outbox_table
from publisher.webhooks import service as webhooks

SOURCE = "/beacon/publisher"
log = get_logger(__name__)


async def connect(
    session: AsyncSession, *, tenant_id: str, body: AccountIn, box: SecretBox
) -> Row[Any]:
    """Store a sandbox account of the tenant, its credentials encrypted; an account of any
    other network is connected in the workspace (ConnectInWorkspace)."""
    if body.network is not Network.sandbox:
        raise ConnectInWorkspace(body.network.value)
    now = datetime.now(UTC)
    row = await repository.insert_account(
        session,
        {
            "id": uuid.uuid4(),
            "tenant_id": tenant_id,
            "brand_id": body.brand_id,
            "network": body.network.value,
            "external_account_id": body.external_account_id,
            "handle": body.handle,
            "display_name": body.display_name,
            "status": AccountStatus.active.value,
            "credentials_encrypted": box.encrypt(body.credentials) if body.credentials else None,
            "created_at": now,
            "updated_at": now,
        },
    )
    if row is None:
        raise AccountAlreadyConnected
    log.info("account.connected", account_id=str(row.id), network=row.network)
    return row


async def get(session: AsyncSession, *, tenant_id: str, account_id: UUID) -> Row[Any]:
    """One account of the tenant, or AccountNotFound."""
    row = await repository.get(session, tenant_id=tenant_id, account_id=account_id)
    if row is None:
        raise AccountNotFound(account_id)
    return row


async def list_page(
    session: AsyncSession, *, tenant_id: str, query: AccountQuery
) -> tuple[Sequence[Row[Any]], str | None]:
    """A page of the tenant's accounts, newest first, and the cursor of the next one."""
    after = Cursor.decode(query.cursor) if query.cursor else None
    rows = await repository.list_accounts(
        session, tenant_id=tenant_id, query=query, after=after, limit=query.limit + 1
    )
    return split_page(rows, query.limit, at="created_at")


async def update(
    session: AsyncSession, *, tenant_id: str, account_id: UUID, patch: AccountPatch, box: SecretBox
) -> Row[Any]:
    """Apply a patch; new credentials bring a needs_reauth account back to active. A workspace
    account takes only its pause and Mastodon length here (ManagedInWorkspace otherwise), and
    only a sandbox account takes credentials (ConnectInWorkspace: the publisher's own network
    accounts are handed over to the workspace, where their credentials change)."""
    values: dict[str, Any] = patch.model_dump(exclude_unset=True, exclude={"credentials"})
    from_workspace = sorted(
        name
        for name in ("brand_id", "handle", "display_name", "credentials")
        if name in patch.model_fields_set
    )
    if from_workspace:
        current = await get(session, tenant_id=tenant_id, account_id=account_id)
        if current.source == AccountSource.workspace:
            raise ManagedInWorkspace(", ".join(from_workspace))
        if patch.credentials is not None and current.network != Network.sandbox:
            raise ConnectInWorkspace(current.network, credentials=True)
    if values.get("max_characters") is not None:
        current = await get(session, tenant_id=tenant_id, account_id=account_id)
        if current.network != Network.mastodon:
            raise MastodonOnly
    if "status" in values:
        values["status"] = values["status"].value if values["status"] else None
        if values["status"] is None:
            del values["status"]
        else:
            values["status_reason"] = None
    if patch.credentials is not None:
        values["credentials_encrypted"] = box.encrypt(patch.credentials)
        if "status" not in values:
            current = await get(session, tenant_id=tenant_id, account_id=account_id)
            if current.status == AccountStatus.needs_reauth:
                values["status"], values["status_reason"] = AccountStatus.active.value, None
    values["updated_at"] = datetime.now(UTC)
    row = await repository.update_account(
        session, tenant_id=tenant_id, account_id=account_id, values=values
    )
    if row is None:
        raise AccountNotFound(account_id)
    return row


async def disconnect(session: AsyncSession, *, tenant_id: str, account_id: UUID) -> None:
    """Forget an account; its posts still due fail with a reason when their time comes. A
    workspace account is disconnected in the workspace (ManagedInWorkspace)."""
    current = await get(session, tenant_id=tenant_id, account_id=account_id)
    if current.source == AccountSource.workspace:
        raise ManagedInWorkspace("connection")
    if not await repository.delete_account(session, tenant_id=tenant_id, account_id=account_id):
        raise AccountNotFound(account_id)
    log.info("account.disconnected", account_id=str(account_id))


async def require_targets(
    session: AsyncSession,
    *,
    tenant_id: str,
    targets: Sequence[tuple[str, UUID, Network | None]],
) -> dict[UUID, Row[Any]]:
    """The tenant's accounts each target names, by id.

    `targets` holds each target's JSON pointer, account id and the network the caller gave (if
    any). An unknown account is an UnknownAccounts, a network other than the account's an
    AccountNetworkMismatch: both 422s pointing at the target.
    """
    rows = await repository.of_tenant(
        session, tenant_id=tenant_id, account_ids={account_id for _, account_id, _ in targets}
    )
    found = {row.id: row for row in rows}
    unknown = [(f"{pointer}/account_id", str(a)) for pointer, a, _ in targets if a not in found]
    if unknown:
        raise UnknownAccounts(unknown)
    for pointer, account_id, network in targets:
        if network is not None and found[account_id].network != network.value:
            raise AccountNetworkMismatch(
                f"{pointer}/network", found[account_id].network, network.value
            )
    return found


async def for_publishing(session: AsyncSession, account_ids: Sequence[UUID]) -> list[Row[Any]]:
    """Accounts with their ciphertext, for the scheduler (which decrypts them)."""
    return await repository.with_credentials(session, set(account_ids))


REFRESH_REQUESTS = RefreshRequests(
    table=account_table, outbox=outbox_table, event=AccountRefreshRequested, source=SOURCE
)


async def credentials_refused(
    session: AsyncSession,
    *,
    account_id: UUID,
    version: int | None,
    reason: str,
    now: datetime,
    wait: timedelta,
) -> datetime | None:
    """A network refused the account's token (of the credentials `version` the call sent):
    until when its target may wait for the refreshed one, the workspace having been asked; None
    when it needs a person."""
    return await refresh_requests.refused(
        session,
        REFRESH_REQUESTS,
        account_id=account_id,
        version=version,
        reason=reason,
        now=now,
        wait=wait,
    )


async def mark_needs_reauth(
    session: AsyncSession, *, account_id: UUID, reason: str, now: datetime
) -> bool:
    """Flag the account, stage `account.deauthorized` and notify webhooks, once per refusal."""
    row = await repository.mark_needs_reauth(session, account_id=account_id, reason=reason, now=now)
    if row is None:
        return False
    payload = AccountDeauthorized(
        account_id=row.id,
        brand_id=row.brand_id,
        network=Network(row.network),
        handle=row.handle,
        reason=reason,
        at=now,
    )
    envelope = Envelope.build(payload, tenant_id=row.tenant_id, subject=str(row.id), source=SOURCE)
    await outbox.stage(session, outbox_table, [envelope], keys=[str(row.id)])
    await webhooks.notify(
        session,
        tenant_id=row.tenant_id,
        event_type="account.needs_reauth",
        data=payload.model_dump(mode="json"),
        brand_id=row.brand_id,
    )
    log.warning("account.needs_reauth", account_id=str(row.id), reason=reason)
    return True


async def slots(session: AsyncSession, *, tenant_id: str, account_id: UUID) -> list[Slot]:
    """The account's queue."""
    await get(session, tenant_id=tenant_id, account_id=account_id)
    return [
        Slot(weekday=r.weekday, local_time=r.local_time)
        for r in await repository.slots_of(session, account_id)
    ]


async def replace_slots(
    session: AsyncSession, *, tenant_id: str, account_id: UUID, slots: Sequence[Slot]
) -> list[Slot]:
    """Replace the account's queue (duplicates collapse)."""
    await get(session, tenant_id=tenant_id, account_id=account_id)
    unique = sorted(set(slots), key=lambda s: (s.weekday, s.local_time))
    await repository.replace_slots(
        session, account_id, [{"weekday": s.weekday, "local_time": s.local_time} for s in unique]
    )
    return unique


async def own_holders(session: AsyncSession, *, tenant_id: str, replica: Row[Any]) -> list[UUID]:
    """The publisher's own accounts a workspace account takes over: the same network account
    for the same brand."""
    rows = await repository.own_holders(session, replica=replica, tenant_id=tenant_id)
    return [row.id for row in rows]


async def merge_into(session: AsyncSession, *, account_id: UUID, into: UUID) -> None:
    """Forget an own account taken over, its queue slots going to the account taking it over."""
    await repository.merge_into(session, account_id=account_id, into=into)
    log.info("account.taken_over", account_id=str(into), previous=str(account_id))


async def replicate(
    session: AsyncSession,
    *,
    tenant_id: str,
    account: ConnectedAccount,
    status: AccountStatus,
    reason: str | None,
    sealed: bytes | None,
    keep_credentials: bool,
    now: datetime,
) -> Row[Any] | None:
    """Keep a workspace account's newer version (its credentials `sealed` with the platform's
    keys); None, changing nothing, when the row already holds that version or a newer one."""
    replica = replica_of(account)
    row = await repository.replicate(
        session,
        {
            "id": account.account_id,
            "tenant_id": tenant_id,
            "brand_id": account.brand_id,
            "network": replica.network.value,
            "external_account_id": replica.external_account_id,
            "handle": account.handle,
            "display_name": account.display_name,
            "instance_url": replica.instance_url,
            "status": status.value,
            "status_reason": reason,
            "credentials_encrypted": sealed,
            "access_expires_at": account.access_expires_at,
            "workspace_version": account.version,
            "created_at": now,
            "updated_at": now,
        },
        keep_credentials=keep_credentials,
    )
    if row is None:
        log.info(
            "account.replica_stale", account_id=str(account.account_id), version=account.version
        )
    else:
        log.info(
            "account.replicated",
            account_id=str(row.id),
            network=row.network,
            status=row.status,
            version=account.version,
        )
    return row


def sealed_credentials(box: SecretBox) -> Sealed:
    """The accounts' credentials at rest, for the worker's re-seal job."""
    return Sealed(account_table, "credentials_encrypted", ("id",), box)
