"""Connecting network accounts to tenants, and finding whose an account is."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from pydantic import SecretStr
from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncSession

from beacon_shared.contracts.common import Network
from beacon_shared.crypto import SecretBox
from beacon_shared.egress import STRICT, EgressPolicy, UrlRefused, check_base_url
from beacon_shared.logging import get_logger
from beacon_shared.pagination import Cursor
from ingest.accounts import repository
from ingest.accounts.crypto import credential_box
from ingest.accounts.exceptions import AccountAlreadyConnected, AccountNotFound, ServerUrlRefused
from ingest.accounts.schemas import AccountIn, AccountPatch, AccountQuery, ResolvedAccount

log = get_logger(__name__)

# The credential naming the server that pollers and actions call with the account's secrets.
SERVER_CREDENTIAL = {Network.mastodon: "base_url", Network.bluesky: "service"}


def checked_credentials(
    network: Network, credentials: dict[str, SecretStr], egress: EgressPolicy
) -> dict[str, SecretStr]:
    """The credentials with their server URL checked by the egress guard (and again at connect
    time: a name can change where it points after it was stored)."""
    name = SERVER_CREDENTIAL.get(network)
    if name is None or name not in credentials:
        return credentials
    try:
        url = check_base_url(credentials[name].get_secret_value(), egress)
    except UrlRefused as exc:
        raise ServerUrlRefused(name, exc.reason) from exc
    return {**credentials, name: SecretStr(url)}


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
    session: AsyncSession,
    *,
    tenant_id: str,
    body: AccountIn,
    cipher: SecretBox,
    egress: EgressPolicy = STRICT,
) -> Row[Any]:
    """Connect a network account to the tenant; one already connected anywhere is a conflict."""
    encrypted = (
        cipher.encrypt(checked_credentials(body.network, body.credentials, egress))
        if body.credentials is not None
        else None
    )
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
) -> tuple[list[Row[Any]], str | None]:
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
    page = rows[: query.limit]
    more = len(rows) > query.limit
    return page, Cursor(page[-1].created_at, page[-1].id).encode() if more else None


async def update(
    session: AsyncSession,
    *,
    tenant_id: str,
    account_id: UUID,
    patch: AccountPatch,
    cipher: SecretBox,
    egress: EgressPolicy = STRICT,
) -> Row[Any]:
    """Apply the fields the patch sets; new credentials revive a needs_reauth account."""
    fields = patch.model_fields_set
    values: dict[str, Any] = {
        name: getattr(patch, name)
        for name in ("brand_id", "handle", "display_name")
        if name in fields
    }
    if "status" in fields and patch.status is not None:
        values["status"] = patch.status.value
    if "credentials" in fields:
        encrypted = None
        if patch.credentials is not None:
            account = await get(session, tenant_id=tenant_id, account_id=account_id)
            network = Network(account.network)
            encrypted = cipher.encrypt(checked_credentials(network, patch.credentials, egress))
        values["credentials_encrypted"] = encrypted
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
    """Remove the account and its credentials; the network account can then be connected again."""
    if not await repository.delete_account(session, tenant_id=tenant_id, account_id=account_id):
        raise AccountNotFound(account_id)
    log.info("account.disconnected", account_id=str(account_id))
