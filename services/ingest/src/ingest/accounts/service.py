"""Connecting network accounts to tenants, and finding whose an account is."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from pydantic import SecretStr
from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncSession

from beacon_shared import refresh_requests
from beacon_shared.contracts.common import Network
from beacon_shared.contracts.ingest import AccountRefreshRequested
from beacon_shared.contracts.workspace import ConnectedAccount
from beacon_shared.crypto import SecretBox
from beacon_shared.events import MalformedEvent
from beacon_shared.logging import get_logger
from beacon_shared.pagination import Cursor, split_page
from beacon_shared.refresh_requests import RefreshRequests
from beacon_shared.registry_problems import ConnectInWorkspace, ManagedInWorkspace
from beacon_shared.reseal import Sealed
from ingest.accounts import repository
from ingest.accounts.crypto import credential_box
from ingest.accounts.exceptions import (
    AccountAlreadyConnected,
    AccountNotFound,
)
from ingest.accounts.models import connected_account
from ingest.accounts.schemas import (
    AccountIn,
    AccountPatch,
    AccountQuery,
    AccountStatus,
    ResolvedAccount,
)
from ingest.db import outbox as outbox_table

log = get_logger(__name__)


async def resolve(
    session: AsyncSession, *, network: Network, external_account_id: str
) -> ResolvedAccount | None:
    """The tenant and brand a network account is connected to; None when nobody connected it.

    Paused accounts and those needing re-authorisation resolve too: the caller decides.
    """
    row = await repository.find_by_external(
        session, network=network.value, external_account_id=external_account_id
    )
    if row is None:
        return None
    return ResolvedAccount(
        account_id=row.id, tenant_id=row.tenant_id, brand_id=row.brand_id, status=row.status
    )


async def decrypt_credentials(
    session: AsyncSession, *, account_id: UUID, key: SecretStr | None
) -> dict[str, str] | None:
    """An account's credentials in plaintext, None when it has none; for pollers, never the API.

    Raises AccountNotFound for an unknown account and SecretsUnreadable when `key` cannot
    decrypt them.
    """
    row = await repository.credentials_of(session, account_id=account_id)
    if row is None:
        raise AccountNotFound(account_id)
    if row.credentials_encrypted is None:
        return None
    return credential_box(key).decrypt(row.credentials_encrypted)


async def connect(
    session: AsyncSession, *, tenant_id: str, body: AccountIn, cipher: SecretBox
) -> Row[Any]:
    """Connect a sandbox account to the tenant; one already connected anywhere is a conflict.
    An account of any other network is connected in the workspace (ConnectInWorkspace)."""
    if body.network is not Network.sandbox:
        raise ConnectInWorkspace(body.network.value)
    encrypted = cipher.encrypt(body.credentials) if body.credentials is not None else None
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
            "status": body.status.value,
            "credentials_encrypted": encrypted,
            "created_at": now,
            "updated_at": now,
        },
    )
    if row is None:
        raise AccountAlreadyConnected
    log.info(
        "account.connected",
        account_id=str(row.id),
        network=row.network,
        has_credentials=row.has_credentials,
    )
    return row


async def get(session: AsyncSession, *, tenant_id: str, account_id: UUID) -> Row[Any]:
    """One account of the tenant, or AccountNotFound."""
    row = await repository.get(session, tenant_id=tenant_id, account_id=account_id)
    if row is None:
        raise AccountNotFound(account_id)
    return row


async def list_page(
    session: AsyncSession,
    *,
    tenant_id: str,
    query: AccountQuery,
    brands: frozenset[str] | None = None,
) -> tuple[Sequence[Row[Any]], str | None]:
    """A page of the tenant's accounts (of these brands; None: every one), newest first, and
    the cursor of the next one."""
    after = Cursor.decode(query.cursor) if query.cursor else None
    rows = await repository.list_accounts(
        session,
        tenant_id=tenant_id,
        query=query,
        after=after,
        limit=query.limit + 1,
        brands=brands,
    )
    return split_page(rows, query.limit, at="created_at")


async def update(
    session: AsyncSession,
    *,
    tenant_id: str,
    account_id: UUID,
    patch: AccountPatch,
    cipher: SecretBox,
) -> Row[Any]:
    """Apply the fields the patch sets; new credentials revive a needs_reauth account. An
    account connected in the workspace takes only its status here (ManagedInWorkspace
    otherwise), and only a sandbox account takes credentials (ConnectInWorkspace: ingest's own
    network accounts are handed over to the workspace, where their credentials change)."""
    fields = patch.model_fields_set
    from_workspace = sorted(
        name for name in ("brand_id", "handle", "display_name", "credentials") if name in fields
    )
    if from_workspace and await repository.from_workspace(
        session, tenant_id=tenant_id, account_id=account_id
    ):
        raise ManagedInWorkspace(", ".join(from_workspace))
    values: dict[str, Any] = {
        name: getattr(patch, name)
        for name in ("brand_id", "handle", "display_name")
        if name in fields
    }
    if "status" in fields and patch.status is not None:
        values["status"] = patch.status.value
    if "credentials" in fields:
        account = await get(session, tenant_id=tenant_id, account_id=account_id)
        if account.network != Network.sandbox:
            raise ConnectInWorkspace(account.network, credentials=True)
        values["credentials_encrypted"] = (
            cipher.encrypt(patch.credentials) if patch.credentials is not None else None
        )
    if not values:
        return await get(session, tenant_id=tenant_id, account_id=account_id)
    values["updated_at"] = datetime.now(UTC)
    row = await repository.update_account(
        session,
        tenant_id=tenant_id,
        account_id=account_id,
        values=values,
        revive=patch.credentials is not None and "status" not in fields,
    )
    if row is None:
        raise AccountNotFound(account_id)
    log.info("account.updated", account_id=str(account_id), fields=sorted(fields))
    return row


async def disconnect(session: AsyncSession, *, tenant_id: str, account_id: UUID) -> None:
    """Remove the account and its credentials; the network account can then be connected again.
    An account connected in the workspace is disconnected there (ManagedInWorkspace)."""
    if await repository.from_workspace(session, tenant_id=tenant_id, account_id=account_id):
        raise ManagedInWorkspace("connection")
    if not await repository.delete_account(session, tenant_id=tenant_id, account_id=account_id):
        raise AccountNotFound(account_id)
    log.info("account.disconnected", account_id=str(account_id))


async def replicate(
    session: AsyncSession,
    *,
    tenant_id: str,
    account: ConnectedAccount,
    network: Network,
    status: AccountStatus,
    sealed: bytes | None,
    keep_credentials: bool,
    now: datetime,
) -> Row[Any] | None:
    """Keep a newer version of a registry account under the registry's id (its credentials
    `sealed` with the platform's keys); None, changing nothing, for a version no newer than the
    row's.

    The same network account connected through ingest's own API by the same tenant is taken
    over by credentials (its row, poll cursor included, gets the registry's id), and left as it
    is by a disconnection or deauthorization of an account never kept; one disconnected in the
    registry under another id gives way. Held by another tenant or by another live registry
    account, it is a MalformedEvent: a webhook names the network account, so only one of them
    can receive its interactions.
    """
    current = await repository.lock(session, account_id=account.account_id)
    if current is not None and current.tenant_id != tenant_id:
        raise MalformedEvent(f"account {account.account_id} belongs to another organization")
    if (
        current is not None
        and current.workspace_version is not None
        and current.workspace_version >= account.version
    ):
        log.info(
            "account.replica_stale", account_id=str(account.account_id), version=account.version
        )
        return None
    holder = await repository.lock_holder(
        session,
        network=network.value,
        external_account_id=account.external_id,
        other_than=account.account_id,
    )
    if holder is not None:
        if holder.tenant_id != tenant_id:
            raise MalformedEvent(
                f"the {network.value} account {account.external_id} is connected to another "
                "organization"
            )
        if holder.status == AccountStatus.disconnected.value:
            await repository.delete_by_id(session, account_id=holder.id)
        elif holder.workspace_version is None and current is None:
            if sealed is None:
                # A disconnection or deauthorization of a registry account ingest never kept
                # leaves the one connected here working.
                log.info(
                    "account.replica_skipped",
                    account_id=str(account.account_id),
                    kept=str(holder.id),
                )
                return None
            await repository.rekey(session, account_id=holder.id, new_id=account.account_id)
            log.info(
                "account.taken_over", account_id=str(account.account_id), previous=str(holder.id)
            )
        else:
            raise MalformedEvent(
                f"the {network.value} account {account.external_id} is already connected as "
                f"account {holder.id}"
            )
    row = await repository.replicate(
        session,
        {
            "id": account.account_id,
            "tenant_id": tenant_id,
            "brand_id": account.brand_id,
            "network": network.value,
            "external_account_id": account.external_id,
            "handle": account.handle,
            "display_name": account.display_name,
            "status": status.value,
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


REFRESH_REQUESTS = RefreshRequests(
    table=connected_account,
    outbox=outbox_table,
    event=AccountRefreshRequested,
    source="/beacon/ingest",
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
    """A network refused the account's token (of the credentials `version` the call sent, None
    when not known): until when the call may wait for the refreshed one, the workspace having
    been asked; None when the account needs a person."""
    return await refresh_requests.refused(
        session,
        REFRESH_REQUESTS,
        account_id=account_id,
        version=version,
        reason=reason,
        now=now,
        wait=wait,
    )


async def mark_needs_reauth(session: AsyncSession, *, tenant_id: str, account_id: UUID) -> None:
    """Stop an active account whose credentials the network refuses, until it is reconnected."""
    await repository.mark_needs_reauth(session, tenant_id=tenant_id, account_id=account_id)


def sealed_credentials(box: SecretBox) -> Sealed:
    """The accounts' credentials at rest, for the worker's re-seal job."""
    return Sealed(connected_account, "credentials_encrypted", ("id",), box)
