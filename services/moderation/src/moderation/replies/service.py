"""Saved replies: kept per tenant or brand, checked when saved, rendered for one comment."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Row
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from moderation.replies import repository
from moderation.replies.exceptions import (
    SavedReplyNameTaken,
    SavedReplyNotFound,
    UnknownReplyVariable,
)
from moderation.replies.schemas import SavedReplyIn, SavedReplyUpdate
from moderation.replies.template import VARIABLES, render, unknown_variables


async def create(session: AsyncSession, *, tenant_id: str, data: SavedReplyIn) -> Row[Any]:
    _check_body(data.body)
    now = datetime.now(UTC)
    row = {"id": uuid.uuid4(), "tenant_id": tenant_id, **data.model_dump()}
    try:
        return await repository.insert_one(session, {**row, "created_at": now, "updated_at": now})
    except IntegrityError as taken:
        raise SavedReplyNameTaken(f"{data.name!r} is already a saved reply here") from taken


async def get(session: AsyncSession, *, tenant_id: str, reply_id: UUID) -> Row[Any]:
    row = await repository.get(session, tenant_id=tenant_id, reply_id=reply_id)
    if row is None:
        raise SavedReplyNotFound(f"no saved reply {reply_id}")
    return row


async def list_all(
    session: AsyncSession, *, tenant_id: str, brand_id: str | None
) -> Sequence[Row[Any]]:
    return await repository.list_all(session, tenant_id=tenant_id, brand_id=brand_id)


async def update(
    session: AsyncSession, *, tenant_id: str, reply_id: UUID, data: SavedReplyUpdate
) -> Row[Any]:
    values = data.model_dump(exclude_none=True)
    if "body" in values:
        _check_body(values["body"])
    if not values:
        return await get(session, tenant_id=tenant_id, reply_id=reply_id)
    values["updated_at"] = datetime.now(UTC)
    try:
        row = await repository.update_one(
            session, tenant_id=tenant_id, reply_id=reply_id, values=values
        )
    except IntegrityError as taken:
        raise SavedReplyNameTaken(f"{data.name!r} is already a saved reply here") from taken
    if row is None:
        raise SavedReplyNotFound(f"no saved reply {reply_id}")
    return row


async def delete(session: AsyncSession, *, tenant_id: str, reply_id: UUID) -> None:
    if not await repository.delete_one(session, tenant_id=tenant_id, reply_id=reply_id):
        raise SavedReplyNotFound(f"no saved reply {reply_id}")


async def render_for(
    session: AsyncSession,
    *,
    tenant_id: str,
    reply_id: UUID,
    author_name: str | None,
    author_handle: str | None,
    network: str,
) -> str:
    """The saved reply's text for one comment's author."""
    row = await get(session, tenant_id=tenant_id, reply_id=reply_id)
    return fill(row.body, author_name=author_name, author_handle=author_handle, network=network)


def fill(body: str, *, author_name: str | None, author_handle: str | None, network: str) -> str:
    """A saved reply's body filled in for one comment's author."""
    return render(
        body, {"author_name": author_name, "author_handle": author_handle, "network": network}
    )


def _check_body(body: str) -> None:
    unknown = unknown_variables(body)
    if unknown:
        raise UnknownReplyVariable(
            f"allowed variables: {', '.join(VARIABLES)}",
            errors=[
                {
                    "pointer": "/body",
                    "location": "body",
                    "type": "unknown_variable",
                    "message": name,
                }
                for name in unknown
            ],
        )
