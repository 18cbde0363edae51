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

from beacon_shared.auth.brands import require_on
from beacon_shared.auth.principal import Principal
from moderation.access import WRITE, in_brands, visible_brands
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


async def get(
    session: AsyncSession,
    *,
    tenant_id: str,
    reply_id: UUID,
    brand_ids: frozenset[str] | None = None,
) -> Row[Any]:
    """One saved reply: the organization's, or a brand's among `brand_ids` when given."""
    row = await repository.get(session, tenant_id=tenant_id, reply_id=reply_id)
    if row is None or (row.brand_id is not None and not in_brands(row.brand_id, brand_ids)):
        raise SavedReplyNotFound(f"no saved reply {reply_id}")
    return row


async def list_all(
    session: AsyncSession,
    *,
    tenant_id: str,
    brand_id: str | None,
    brand_ids: frozenset[str] | None = None,
) -> Sequence[Row[Any]]:
    """By name: the organization's replies and the brands' (of `brand_id`, and among
    `brand_ids` when given)."""
    return await repository.list_all(
        session, tenant_id=tenant_id, brand_id=brand_id, brand_ids=brand_ids
    )


async def _changeable(session: AsyncSession, *, principal: Principal, reply_id: UUID) -> Row[Any]:
    """A reply the caller may see (else not found) and change (else brand_not_allowed)."""
    row = await get(
        session,
        tenant_id=principal.tenant_id,
        reply_id=reply_id,
        brand_ids=visible_brands(principal),
    )
    require_on(principal, WRITE, row.brand_id)
    return row


async def update(
    session: AsyncSession, *, principal: Principal, reply_id: UUID, data: SavedReplyUpdate
) -> Row[Any]:
    """Change a reply's name or body."""
    tenant_id = principal.tenant_id
    row = await _changeable(session, principal=principal, reply_id=reply_id)
    values = data.model_dump(exclude_none=True)
    if "body" in values:
        _check_body(values["body"])
    if not values:
        return row
    values["updated_at"] = datetime.now(UTC)
    try:
        updated = await repository.update_one(
            session, tenant_id=tenant_id, reply_id=reply_id, values=values
        )
    except IntegrityError as taken:
        raise SavedReplyNameTaken(f"{data.name!r} is already a saved reply here") from taken
    if updated is None:
        raise SavedReplyNotFound(f"no saved reply {reply_id}")
    return updated


async def delete(session: AsyncSession, *, principal: Principal, reply_id: UUID) -> None:
    """Delete a reply the caller may change."""
    await _changeable(session, principal=principal, reply_id=reply_id)
    if not await repository.delete_one(session, tenant_id=principal.tenant_id, reply_id=reply_id):
        raise SavedReplyNotFound(f"no saved reply {reply_id}")


async def render_for(
    session: AsyncSession,
    *,
    tenant_id: str,
    brand_id: str | None,
    reply_id: UUID,
    author_name: str | None,
    author_handle: str | None,
    network: str,
) -> str:
    """The saved reply's text for one comment's author; the reply must be the comment's brand's
    or the organization's (SavedReplyNotFound otherwise)."""
    row = await get(session, tenant_id=tenant_id, reply_id=reply_id)
    if row.brand_id is not None and row.brand_id != brand_id:
        raise SavedReplyNotFound(f"no saved reply {reply_id} for this comment's brand")
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
