"""The organization's teams, to which conversations are given as well as to members.

A team is a name the organization gives a queue of work (billing, after-sales, the night shift);
who answers in it is up to the organization. Teams belong to the whole organization: a credential
limited to some brands may list them and give its conversations to one, not create one.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncSession

from beacon_shared.auth.brands import require_on
from beacon_shared.auth.principal import Principal
from beacon_shared.pagination import Cursor, split_page
from inbox.access import WRITE
from inbox.conversations import repository
from inbox.conversations.exceptions import TeamExists, UnknownTeam


async def create(session: AsyncSession, *, principal: Principal, name: str) -> Row[Any]:
    """A new team of the caller's organization (409 `team_exists` for a name it has)."""
    require_on(principal, WRITE, None)
    row = await repository.add_team(
        session,
        {
            "id": uuid.uuid4(),
            "tenant_id": principal.tenant_id,
            "name": name,
            "created_by": principal.actor,
            "created_at": datetime.now(UTC),
        },
    )
    if row is None:
        raise TeamExists(f"The organization has a team named {name!r}.")
    return row


async def page(
    session: AsyncSession, *, principal: Principal, cursor: str | None, limit: int
) -> tuple[Sequence[Row[Any]], str | None]:
    """A page of the organization's teams, the oldest first, and the next page's cursor."""
    after = Cursor.decode(cursor) if cursor else None
    rows = await repository.teams_page(
        session, tenant_id=principal.tenant_id, after=after, limit=limit + 1
    )
    return split_page(rows, limit, at="created_at")


async def check(session: AsyncSession, *, tenant_id: str, team_id: UUID) -> None:
    """Refuse a team the organization does not have (422 `unknown_team`)."""
    if not await repository.team_exists(session, tenant_id=tenant_id, team_id=team_id):
        raise UnknownTeam(f"The organization has no team {team_id}.")
