"""HTTP routes of invitations."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, Response

from beacon_shared.db import DbSession
from workspace.access import PERSON_ONLY, PeopleReader, PeopleWriter, SignedIn
from workspace.invitations import service
from workspace.invitations.schemas import (
    AcceptIn,
    InvitationCreated,
    InvitationIn,
    InvitationOut,
    InvitationPage,
    InvitationQuery,
    Joined,
)
from workspace.people import service as people

router = APIRouter(prefix="/v1/invitations", tags=["invitations"])


@router.post("", summary="Invite someone", status_code=201, responses={403: {}})
async def invite(
    body: InvitationIn, principal: PeopleWriter, session: DbSession
) -> InvitationCreated:
    """A single-use token for `email` to join with `role`, valid 7 days and shown only in this
    answer; with `brand_roles` they will work on those brands only, each with its role (422
    unknown_brand for one not registered). Only an owner invites an owner (403
    owner_required)."""
    row, token = await service.invite(
        session,
        principal=principal,
        email=body.email,
        role=body.role,
        brand_roles=body.brand_roles,
    )
    out = InvitationOut.from_row(row, now=datetime.now(UTC))
    return InvitationCreated(**out.model_dump(), token=token)


@router.get("", summary="List invitations, newest first")
async def list_invitations(
    query: Annotated[InvitationQuery, Query()], principal: PeopleReader, session: DbSession
) -> InvitationPage:
    """Every invitation with its status (pending, accepted, revoked, expired); page with
    `cursor`."""
    rows, next_cursor = await service.list_page(
        session, tenant_id=principal.tenant_id, cursor=query.cursor, limit=query.limit
    )
    now = datetime.now(UTC)
    return InvitationPage(
        items=[InvitationOut.from_row(r, now=now) for r in rows], next_cursor=next_cursor
    )


@router.delete(
    "/{invitation_id}", summary="Revoke an invitation", status_code=204, responses={409: {}}
)
async def revoke(invitation_id: UUID, principal: PeopleWriter, session: DbSession) -> Response:
    """Its token stops working at once; an accepted invitation is a 409 (remove the member)."""
    await service.revoke(session, principal=principal, invitation_id=invitation_id)
    return Response(status_code=204)


@router.post(
    "/accept",
    summary="Accept an invitation",
    responses={403: {}, 404: {}, 409: {}, 410: {}},
    openapi_extra=PERSON_ONLY,
)
async def accept(body: AcceptIn, identity: SignedIn, session: DbSession) -> Joined:
    """The signed-in person (an access token of the issuer, not an API key; membership of no
    organization needed) joins with the invitation's role. An unknown token is a 404
    invitation_not_found, a revoked or expired one a 410, a used one a 409 invitation_used, a
    member already a 409 already_a_member, another email address than the invited one a 403."""
    organization, membership = await service.accept(session, identity=identity, token=body.token)
    member = await people.get(session, tenant_id=organization, user_id=membership.user_id)
    return Joined(organization=organization, member=member)
