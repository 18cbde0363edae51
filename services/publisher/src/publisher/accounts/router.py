"""HTTP routes of publishing accounts and their queues."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, Response, status

from beacon_shared.auth.brands import Brands
from beacon_shared.db import DbSession
from publisher.accounts import service
from publisher.accounts.dependencies import Box, Reader, Writer
from publisher.accounts.schemas import (
    AccountIn,
    AccountOut,
    AccountPage,
    AccountPatch,
    AccountQuery,
    SlotsIn,
    SlotsOut,
)
from publisher.brands import service as brands
from publisher.delivery import targets

router = APIRouter(prefix="/v1/publishing-accounts", tags=["publishing accounts"])


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    summary="Connect a sandbox account to publish as",
    responses={400: {}, 401: {}, 403: {}, 409: {}, 413: {}, 422: {}},
)
async def connect_account(
    body: AccountIn, principal: Writer, brands: Brands, session: DbSession, box: Box
) -> AccountOut:
    """Only the sandbox network (local runs and tests) is connected here. Every other network's
    accounts are connected in the workspace (`POST /v1/brands/{brand_id}/connections`), which
    the publisher keeps as its accounts under the workspace's ids: any other network is a 422
    `connect_in_workspace`.

    Credentials are stored encrypted (409 `credentials_key_missing` without
    NETWORK_CREDENTIALS_KEYS); the same sandbox account twice is a 409; a brand must be
    registered (422 unknown_brand)."""
    if body.brand_id is not None:
        await brands.check(principal, "accounts:write", body.brand_id)
    return AccountOut.from_row(
        await service.connect(session, tenant_id=principal.tenant_id, body=body, box=box)
    )


@router.get(
    "", summary="List publishing accounts, newest first", responses={401: {}, 403: {}, 422: {}}
)
async def list_accounts(
    query: Annotated[AccountQuery, Query()], principal: Reader, brands: Brands, session: DbSession
) -> AccountPage:
    """Filter by network, brand and status; page by `cursor`."""
    if query.brand_id is not None:
        await brands.check(principal, "accounts:read", query.brand_id)
    rows, next_cursor = await service.list_page(session, tenant_id=principal.tenant_id, query=query)
    return AccountPage(items=[AccountOut.from_row(r) for r in rows], next_cursor=next_cursor)


@router.get(
    "/{account_id}",
    summary="Get one publishing account",
    responses={401: {}, 403: {}, 404: {}, 422: {}},
)
async def get_account(account_id: UUID, principal: Reader, session: DbSession) -> AccountOut:
    """`status_reason` says why an account needs reconnecting."""
    return AccountOut.from_row(
        await service.get(session, tenant_id=principal.tenant_id, account_id=account_id)
    )


@router.patch(
    "/{account_id}",
    summary="Change a publishing account",
    responses={401: {}, 403: {}, 404: {}, 409: {}, 422: {}},
)
async def update_account(
    account_id: UUID,
    patch: AccountPatch,
    principal: Writer,
    brands: Brands,
    session: DbSession,
    box: Box,
) -> AccountOut:
    """New credentials bring a `needs_reauth` sandbox account back to `active`; those of a
    network account change in the workspace (422 `connect_in_workspace`). An account connected
    in the workspace takes only `status` and `max_characters` (409
    `account_managed_in_workspace` otherwise)."""
    if patch.brand_id is not None:
        await brands.check(principal, "accounts:write", patch.brand_id)
    row = await service.update(
        session, tenant_id=principal.tenant_id, account_id=account_id, patch=patch, box=box
    )
    if patch.credentials is not None and row.status == "active":
        # Reconnected: its targets flagged when its token was refused go out at their time.
        await targets.clear_account_warnings(
            session, tenant_id=principal.tenant_id, account_id=row.id, now=row.updated_at
        )
    return AccountOut.from_row(row)


@router.delete(
    "/{account_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Disconnect a publishing account",
    responses={401: {}, 403: {}, 404: {}, 409: {}, 422: {}},
)
async def disconnect_account(account_id: UUID, principal: Writer, session: DbSession) -> Response:
    """Posts still due on it fail with a readable reason when their time comes. An account
    connected in the workspace is disconnected there (409 `account_managed_in_workspace`)."""
    await service.disconnect(session, tenant_id=principal.tenant_id, account_id=account_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    "/{account_id}/slots",
    summary="The account's queue of weekly posting times",
    responses={401: {}, 403: {}, 404: {}, 422: {}},
)
async def get_slots(account_id: UUID, principal: Reader, session: DbSession) -> SlotsOut:
    """Slots are wall-clock times in the account's brand's time zone."""
    account = await service.get(session, tenant_id=principal.tenant_id, account_id=account_id)
    settings = await brands.get(session, tenant_id=principal.tenant_id, brand_id=account.brand_id)
    slots = await service.slots(session, tenant_id=principal.tenant_id, account_id=account_id)
    return SlotsOut(timezone=settings.timezone, slots=slots)


@router.put(
    "/{account_id}/slots",
    summary="Replace the account's queue",
    responses={401: {}, 403: {}, 404: {}, 422: {}},
)
async def put_slots(
    account_id: UUID, body: SlotsIn, principal: Writer, session: DbSession
) -> SlotsOut:
    """Posts scheduled with `next_slot` take the first of these times no post of the account has."""
    account = await service.get(session, tenant_id=principal.tenant_id, account_id=account_id)
    settings = await brands.get(session, tenant_id=principal.tenant_id, brand_id=account.brand_id)
    slots = await service.replace_slots(
        session, tenant_id=principal.tenant_id, account_id=account_id, slots=body.slots
    )
    return SlotsOut(timezone=settings.timezone, slots=slots)
