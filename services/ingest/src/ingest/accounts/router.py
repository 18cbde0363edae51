"""HTTP routes of the connected accounts API."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, Response, status

from beacon_shared.auth.brand_reads import brands_to_read
from beacon_shared.auth.brands import Brands
from beacon_shared.db import DbSession
from ingest import access
from ingest.accounts import service
from ingest.accounts.dependencies import Cipher, Reader, Writer
from ingest.accounts.exceptions import AccountNotFound
from ingest.accounts.schemas import AccountIn, AccountOut, AccountPage, AccountPatch, AccountQuery

router = APIRouter(prefix="/v1/accounts", tags=["accounts"])


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    summary="Connect a sandbox account",
    responses={400: {}, 401: {}, 403: {}, 409: {}, 413: {}, 422: {}},
)
async def connect_account(
    body: AccountIn, principal: Writer, brands: Brands, session: DbSession, cipher: Cipher
) -> AccountOut:
    """Interactions for this account are filed under the caller's tenant and brand.

    Only the sandbox network (local runs and tests) is connected here. Every other network's
    accounts are connected in the workspace (`POST /v1/brands/{brand_id}/connections`), whose
    registry ingest keeps: any other network is a 422 `connect_in_workspace`.

    An account already connected (to any tenant) is a 409 `account_already_connected`;
    credentials without NETWORK_CREDENTIALS_KEYS set are a 409 `credentials_key_missing`.
    """
    await brands.check(principal, access.WRITE, body.brand_id)
    row = await service.connect(session, tenant_id=principal.tenant_id, body=body, cipher=cipher)
    return AccountOut.from_row(row)


@router.get(
    "", summary="List connected accounts, newest first", responses={401: {}, 403: {}, 422: {}}
)
async def list_accounts(
    query: Annotated[AccountQuery, Query()], principal: Reader, brands: Brands, session: DbSession
) -> AccountPage:
    """Filter by network, brand and status; page by `cursor`."""
    rows, next_cursor = await service.list_page(
        session,
        tenant_id=principal.tenant_id,
        query=query,
        brands=await brands_to_read(brands, principal, access.READ, query.brand_id),
    )
    return AccountPage(items=[AccountOut.from_row(r) for r in rows], next_cursor=next_cursor)


@router.get(
    "/{account_id}",
    summary="Get one connected account",
    responses={401: {}, 403: {}, 404: {}, 422: {}},
)
async def get_account(account_id: UUID, principal: Reader, session: DbSession) -> AccountOut:
    """One account of the caller's tenant; credentials show only as `has_credentials`."""
    row = await service.get(session, tenant_id=principal.tenant_id, account_id=account_id)
    access.check_readable(principal, row.brand_id, AccountNotFound(account_id))
    return AccountOut.from_row(row)


@router.patch(
    "/{account_id}",
    summary="Change a connected account",
    responses={400: {}, 401: {}, 403: {}, 404: {}, 409: {}, 413: {}, 422: {}},
)
async def update_account(
    account_id: UUID,
    body: AccountPatch,
    principal: Writer,
    brands: Brands,
    session: DbSession,
    cipher: Cipher,
) -> AccountOut:
    """Absent fields stay, null clears; `credentials` replaces (or with null removes) a sandbox
    account's, while a network account's change in the workspace (422
    `connect_in_workspace`). Moving the account to another brand needs the right to change
    both. An account connected in the workspace takes only its `status` here (409
    `account_managed_in_workspace`)."""
    current = await service.get(session, tenant_id=principal.tenant_id, account_id=account_id)
    access.check_existing(principal, current.brand_id, AccountNotFound(account_id))
    if "brand_id" in body.model_fields_set:
        await brands.check(principal, access.WRITE, body.brand_id)
    row = await service.update(
        session,
        tenant_id=principal.tenant_id,
        account_id=account_id,
        patch=body,
        cipher=cipher,
    )
    return AccountOut.from_row(row)


@router.delete(
    "/{account_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Disconnect an account",
    responses={401: {}, 403: {}, 404: {}, 409: {}, 422: {}},
)
async def disconnect_account(account_id: UUID, principal: Writer, session: DbSession) -> Response:
    """Deletes the account and its credentials; interactions already stored stay. An account
    connected in the workspace is disconnected there (409 `account_managed_in_workspace`)."""
    current = await service.get(session, tenant_id=principal.tenant_id, account_id=account_id)
    access.check_existing(principal, current.brand_id, AccountNotFound(account_id))
    await service.disconnect(session, tenant_id=principal.tenant_id, account_id=account_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
