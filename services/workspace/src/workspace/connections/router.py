"""HTTP routes of connected accounts and their connect flows."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from fastapi.responses import RedirectResponse

from beacon_shared.auth import Principal
from beacon_shared.auth.brands import Brands
from beacon_shared.auth.verify import require_brand_scope
from beacon_shared.db import DbSession
from workspace.config import Settings
from workspace.connections import flow, service
from workspace.connections.schemas import (
    BlueskyIn,
    CallbackQuery,
    Connected,
    ConnectedAccountOut,
    ConnectedAccountPage,
    ConnectedAccountQuery,
    ConnectIn,
    ConnectStarted,
)

router = APIRouter(tags=["connected accounts"])
# Brand-scoped: a credential limited to some brands passes, then each route checks the brand.
AccountsReader = Annotated[Principal, Depends(require_brand_scope("accounts:read"))]
AccountsWriter = Annotated[Principal, Depends(require_brand_scope("accounts:write"))]
BrandId = Annotated[str, Path(min_length=1, max_length=128)]


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


@router.post(
    "/v1/brands/{brand_id}/connections",
    summary="Start connecting a network account",
    status_code=201,
    responses={403: {}, 409: {}, 422: {}, 502: {}},
)
async def start_connection(
    brand_id: BrandId,
    body: ConnectIn,
    principal: AccountsWriter,
    brands: Brands,
    session: DbSession,
    request: Request,
) -> ConnectStarted:
    """The network's authorization URL, to open in the person's browser. The network sends the
    browser back to `GET /v1/connections/callback`, which stores what the login grants and
    returns the browser to `return_url` with the outcome. The flow is single-use and expires in
    10 minutes. A return URL whose origin is not in WORKSPACE_RETURN_ORIGINS is a 422
    return_url_refused; a network without an app configured here a 409 network_not_configured;
    Mastodon needs `instance` (422 server_url_refused when it cannot be used). A brand the
    organization does not have is a 422 unknown_brand, one the credential may not act on a 403
    brand_not_allowed."""
    await brands.check(principal, "accounts:write", brand_id)
    url, expires_at = await flow.start(
        session, settings=_settings(request), principal=principal, brand_id=brand_id, body=body
    )
    return ConnectStarted(network=body.network, authorization_url=url, expires_at=expires_at)


@router.get(
    "/v1/connections/callback",
    summary="Where the networks send the browser back",
    status_code=303,
    response_class=RedirectResponse,
    responses={
        303: {"description": "To the flow's return URL, with the outcome."},
        400: {},
        409: {},
        410: {},
    },
)
async def oauth_callback(
    query: Annotated[CallbackQuery, Query()], session: DbSession, request: Request
) -> RedirectResponse:
    """No credential: the state the network hands back is the flow's (single use, 10
    minutes). The browser is sent to the flow's return URL with `connection=connected`,
    `network` and `accounts` (the connected accounts' ids, comma-separated), or with
    `connection=failed`, `network` and `error` (`access_denied` and the network's other error
    codes, `invalid_grant`, `no_refresh_token`, `no_pages`, `network_unavailable`…), in which
    case nothing was stored. A state no flow has is a 400 oauth_state_invalid problem, a used
    one a 409 oauth_state_used, an expired one a 410 oauth_state_expired."""
    url = await flow.complete(session, settings=_settings(request), query=query)
    return RedirectResponse(url, status_code=303)


@router.post(
    "/v1/brands/{brand_id}/connections/bluesky",
    summary="Connect a Bluesky account with an app password",
    status_code=201,
    responses={403: {}, 409: {}, 422: {}, 502: {}},
)
async def connect_bluesky(
    brand_id: BrandId,
    body: BlueskyIn,
    principal: AccountsWriter,
    brands: Brands,
    session: DbSession,
    request: Request,
) -> Connected:
    """Signs in with `com.atproto.server.createSession`; the app password is stored sealed and
    never shown again. A refused handle or password is a 422 network_refused."""
    await brands.check(principal, "accounts:write", brand_id)
    rows = await flow.connect_bluesky(
        session, settings=_settings(request), principal=principal, brand_id=brand_id, body=body
    )
    return Connected(accounts=[ConnectedAccountOut.from_row(r) for r in rows])


@router.get("/v1/connected-accounts", summary="List connected accounts, newest first")
async def list_accounts(
    query: Annotated[ConnectedAccountQuery, Query()], principal: AccountsReader, session: DbSession
) -> ConnectedAccountPage:
    """The organization's accounts (those of the brands the credential may read), filtered by
    brand, network and status; page with `cursor`. Credentials are never shown."""
    rows, next_cursor = await service.list_page(
        session,
        principal=principal,
        brand_id=query.brand_id,
        network=query.network,
        status=query.status,
        cursor=query.cursor,
        limit=query.limit,
    )
    return ConnectedAccountPage(
        items=[ConnectedAccountOut.from_row(r) for r in rows], next_cursor=next_cursor
    )


@router.get("/v1/connected-accounts/{account_id}", summary="Get a connected account")
async def get_account(
    account_id: UUID, principal: AccountsReader, session: DbSession
) -> ConnectedAccountOut:
    """One connected account, without its credentials."""
    row = await service.get(session, principal=principal, account_id=account_id)
    return ConnectedAccountOut.from_row(row)


@router.delete(
    "/v1/connected-accounts/{account_id}",
    summary="Disconnect an account",
    status_code=204,
    responses={403: {}},
)
async def disconnect(account_id: UUID, principal: AccountsWriter, session: DbSession) -> Response:
    """Its credentials are deleted and `account.disconnected` tells the other services to stop
    using it; disconnecting again changes nothing. Connecting it again brings it back."""
    await service.disconnect(session, principal=principal, account_id=account_id)
    return Response(status_code=204)
