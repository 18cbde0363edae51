"""HTTP routes of the organization's API keys and of members' personal tokens."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Response

from beacon_shared.auth.keys import IssuedKey
from beacon_shared.db import DbSession
from workspace.access import PERSON_ONLY, KeysReader, KeysWriter, Person
from workspace.keys import service
from workspace.keys.schemas import KeyCreated, KeyList, KeyOut, OrganizationKeyIn, TokenIn

router = APIRouter(tags=["keys"])


def _shown(issued: IssuedKey) -> KeyCreated:
    """The key as issued, with its secret."""
    return KeyCreated.model_validate(
        {**{name: getattr(issued, name, None) for name in KeyOut.model_fields}, "key": issued.key}
    )


@router.post(
    "/v1/api-keys", summary="Issue an organization API key", status_code=201, responses={403: {}}
)
async def issue_key(
    body: OrganizationKeyIn, principal: KeysWriter, session: DbSession
) -> KeyCreated:
    """A key of the organization, shown only in this answer. Its scopes are ones the caller
    holds (403 scopes_not_held otherwise); with `brand_ids` it acts on those brands only (422
    unknown_brand for one not registered)."""
    issued = await service.issue_organization_key(
        session,
        principal=principal,
        name=body.name,
        scopes=body.scopes,
        rate_limit_per_minute=body.rate_limit_per_minute,
        expires_at=body.expires_at,
        brand_ids=body.brand_ids,
    )
    return _shown(issued)


@router.get("/v1/api-keys", summary="List the organization's API keys")
async def list_keys(principal: KeysReader, session: DbSession) -> KeyList:
    """The organization's own keys, revoked and expired ones included (members' personal tokens
    are theirs: `GET /v1/me/tokens`)."""
    rows = await service.list_organization_keys(session, tenant_id=principal.tenant_id)
    return KeyList(items=[KeyOut.model_validate(r) for r in rows])


@router.delete("/v1/api-keys/{key_id}", summary="Revoke an organization API key", status_code=204)
async def revoke_key(key_id: UUID, principal: KeysWriter, session: DbSession) -> Response:
    """It is refused everywhere within `API_KEY_CACHE_SECONDS` (5 s)."""
    await service.revoke_organization_key(session, principal=principal, key_id=key_id)
    return Response(status_code=204)


@router.post(
    "/v1/me/tokens",
    summary="Issue a personal token",
    status_code=201,
    responses={403: {}},
    openapi_extra=PERSON_ONLY,
)
async def issue_token(body: TokenIn, principal: Person, session: DbSession) -> KeyCreated:
    """An API key that acts as you, shown only in this answer: at every request its scopes are
    cut down to your role then, and it stops working within `API_KEY_CACHE_SECONDS` once you
    leave the organization. Only you, signed in, mint your tokens (not a key)."""
    issued = await service.issue_personal_token(
        session,
        principal=principal,
        name=body.name,
        scopes=body.scopes,
        rate_limit_per_minute=body.rate_limit_per_minute,
        expires_at=body.expires_at,
    )
    return _shown(issued)


@router.get("/v1/me/tokens", summary="List your personal tokens", openapi_extra=PERSON_ONLY)
async def list_tokens(principal: Person, session: DbSession) -> KeyList:
    """Your personal tokens in this organization, revoked and expired ones included."""
    rows = await service.list_personal_tokens(session, principal=principal)
    return KeyList(items=[KeyOut.model_validate(r) for r in rows])


@router.delete(
    "/v1/me/tokens/{key_id}",
    summary="Revoke a personal token",
    status_code=204,
    openapi_extra=PERSON_ONLY,
)
async def revoke_token(key_id: UUID, principal: Person, session: DbSession) -> Response:
    """It is refused everywhere within `API_KEY_CACHE_SECONDS` (5 s)."""
    await service.revoke_personal_token(session, principal=principal, key_id=key_id)
    return Response(status_code=204)
