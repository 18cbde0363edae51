"""HTTP routes of the organization's teams."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from beacon_shared.db import DbSession
from inbox.access import Reader, Writer
from inbox.conversations import teams
from inbox.conversations.schemas import TeamIn, TeamOut, TeamPage, TeamQuery

router = APIRouter(prefix="/v1/teams", tags=["teams"])


@router.get(
    "",
    summary="List the organization's teams, the oldest first",
    responses={400: {}, 401: {}, 403: {}},
)
async def list_teams(
    query: Annotated[TeamQuery, Query()], principal: Reader, session: DbSession
) -> TeamPage:
    rows, next_cursor = await teams.page(
        session, principal=principal, cursor=query.cursor, limit=query.limit
    )
    return TeamPage(items=[TeamOut.from_row(r) for r in rows], next_cursor=next_cursor)


@router.post(
    "",
    summary="Create a team",
    status_code=status.HTTP_201_CREATED,
    responses={401: {}, 403: {}, 409: {}, 422: {}},
)
async def create_team(body: TeamIn, principal: Writer, session: DbSession) -> TeamOut:
    """Conversations are given to it with `team_id`. A credential limited to some brands may not
    create one (403 `brand_not_allowed`); a name the organization has is 409 `team_exists`."""
    return TeamOut.from_row(await teams.create(session, principal=principal, name=body.name))
