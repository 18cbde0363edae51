"""HTTP routes of the caller and the organization's members."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, Response

from beacon_shared.db import DbSession
from workspace.access import ANY_CREDENTIAL, Caller, PeopleReader, PeopleWriter
from workspace.people import service
from workspace.people.schemas import (
    MemberChange,
    MemberOut,
    MemberPage,
    MemberQuery,
    MeOut,
    UserOut,
)

router = APIRouter(tags=["people"])


@router.get(
    "/v1/me",
    summary="Who is calling",
    openapi_extra=ANY_CREDENTIAL,
)
async def me(principal: Caller, session: DbSession) -> MeOut:
    """The organization the credential acts in, as whom, with which role and scopes. Any valid
    credential may ask."""
    user = None
    if principal.user_id is not None:
        member = await service.get(
            session, tenant_id=principal.tenant_id, user_id=principal.user_id
        )
        user = UserOut(id=member.user_id, email=member.email, name=member.name)
    if principal.signed_in:
        credential, key_id = "sign_in", None
    else:
        credential = "personal_token" if principal.user_id else "api_key"
        key_id = principal.key_id
    return MeOut.model_validate(
        {
            "organization": principal.tenant_id,
            "credential": credential,
            "actor": principal.actor,
            "key_id": key_id,
            "role": principal.role,
            "user": user,
            "scopes": sorted(principal.scopes),
            "brands": None
            if principal.brand_scopes is None
            else {b: sorted(s) for b, s in principal.brand_scopes.items()},
        }
    )


@router.get("/v1/members", summary="List the organization's members")
async def list_members(
    query: Annotated[MemberQuery, Query()], principal: PeopleReader, session: DbSession
) -> MemberPage:
    """Members in the order they joined; page with `cursor`."""
    rows, next_cursor = await service.list_page(
        session, tenant_id=principal.tenant_id, cursor=query.cursor, limit=query.limit
    )
    return MemberPage(items=rows, next_cursor=next_cursor)


@router.get("/v1/members/{user_id}", summary="Get a member")
async def get_member(user_id: UUID, principal: PeopleReader, session: DbSession) -> MemberOut:
    """One member of the organization."""
    return await service.get(session, tenant_id=principal.tenant_id, user_id=user_id)


@router.patch(
    "/v1/members/{user_id}",
    summary="Change a member's role or brand roles",
    responses={403: {}, 409: {}, 422: {}},
)
async def change_member(
    user_id: UUID, body: MemberChange, principal: PeopleWriter, session: DbSession
) -> MemberOut:
    """Give the member another role, or roles brand by brand (`brand_roles`, which limit them to
    those brands; `{}` gives them back every brand with their organization role). Only an owner
    gives or takes away `owner` (403 owner_required), and the organization always keeps an owner
    (409 last_owner). An unknown brand is a 422 unknown_brand."""
    return await service.change(
        session,
        principal=principal,
        user_id=user_id,
        role=body.role,
        brand_roles=body.brand_roles,
    )


@router.delete(
    "/v1/members/{user_id}",
    summary="Remove a member",
    status_code=204,
    responses={403: {}, 409: {}},
)
async def remove_member(user_id: UUID, principal: PeopleWriter, session: DbSession) -> Response:
    """Take the member out of the organization and revoke their personal tokens here. Their
    sign-in and tokens are refused within `API_KEY_CACHE_SECONDS` (5 s). An owner is removed
    only by an owner, and never the last one (409 last_owner)."""
    await service.remove(session, principal=principal, user_id=user_id)
    return Response(status_code=204)
