"""HTTP routes of contacts."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query, status
from sqlalchemy import Row

from beacon_shared.auth.brand_reads import brands_to_read
from beacon_shared.auth.brands import Brands
from beacon_shared.db import DbSession
from inbox.access import READ, Reader, Writer
from inbox.contacts import service
from inbox.contacts.schemas import (
    ContactChange,
    ContactDetail,
    ContactMerge,
    ContactMessage,
    ContactMessagePage,
    ContactOut,
    ContactPage,
    ContactQuery,
    Identity,
    PageQuery,
    SentimentDay,
)
from inbox.conversations.schemas import NoteIn, NoteOut

router = APIRouter(prefix="/v1/contacts", tags=["contacts"])
ONE: dict[int | str, dict[str, Any]] = {401: {}, 403: {}, 404: {}}
CHANGE: dict[int | str, dict[str, Any]] = {401: {}, 403: {}, 404: {}, 422: {}}


@router.get(
    "",
    summary="List contacts, the latest contact first",
    responses={400: {}, 401: {}, 403: {}, 422: {}},
)
async def list_contacts(
    query: Annotated[ContactQuery, Query()], principal: Reader, brands: Brands, session: DbSession
) -> ContactPage:
    """One per author per brand, on the brands the caller may read; page with `cursor`."""
    brand_ids = await brands_to_read(brands, principal, READ, query.brand_id)
    rows, next_cursor = await service.list_page(
        session,
        principal=principal,
        brand_ids=brand_ids,
        label=query.label,
        cursor=query.cursor,
        limit=query.limit,
    )
    return ContactPage(items=[ContactOut.from_row(r) for r in rows], next_cursor=next_cursor)


@router.get("/{contact_id}", summary="Get a contact's profile", responses=ONE)
async def get_contact(contact_id: UUID, principal: Reader, session: DbSession) -> ContactDetail:
    """Its identities on the networks, private notes, and the sentiment of its messages by day
    over the last 90 days. A contact merged into another is 404 `contact_merged`, naming it.
    Its conversations: `GET /v1/conversations?contact_id=`."""
    found = await service.profile(session, principal=principal, contact_id=contact_id)
    return ContactDetail(
        **ContactOut.from_row(found.contact).model_dump(),
        identities=[Identity.model_validate(i, from_attributes=True) for i in found.identities],
        notes=[NoteOut.from_row(n) for n in found.notes],
        sentiment=_by_day(found.sentiment),
    )


def _by_day(rows: Sequence[Row[Any]]) -> list[SentimentDay]:
    days: dict[Any, dict[str, int]] = defaultdict(dict)
    for row in rows:
        days[row.day][row.sentiment or "unknown"] = row.messages
    return [SentimentDay(day=day, **counts) for day, counts in sorted(days.items())]


@router.get(
    "/{contact_id}/messages",
    summary="List a contact's comments and messages, the newest first",
    responses=ONE | {422: {}},
)
async def contact_messages(
    contact_id: UUID, query: Annotated[PageQuery, Query()], principal: Reader, session: DbSession
) -> ContactMessagePage:
    """Across every network and conversation of the brand; page with `cursor`."""
    rows, next_cursor = await service.messages(
        session, principal=principal, contact_id=contact_id, cursor=query.cursor, limit=query.limit
    )
    return ContactMessagePage(
        items=[ContactMessage.from_row(r) for r in rows], next_cursor=next_cursor
    )


@router.patch("/{contact_id}", summary="Replace a contact's labels", responses=CHANGE)
async def change_contact(
    contact_id: UUID, body: ContactChange, principal: Writer, session: DbSession
) -> ContactOut:
    row = await service.label(
        session, principal=principal, contact_id=contact_id, labels=body.labels
    )
    return ContactOut.from_row(row)


@router.post(
    "/{contact_id}/notes",
    summary="Add a private note to a contact",
    status_code=status.HTTP_201_CREATED,
    responses=CHANGE,
)
async def add_contact_note(
    contact_id: UUID, body: NoteIn, principal: Writer, session: DbSession
) -> NoteOut:
    """Seen by the organization's members only."""
    row = await service.add_note(
        session, principal=principal, contact_id=contact_id, text=body.text
    )
    return NoteOut.from_row(row)


@router.post("/{contact_id}/merge", summary="Merge another contact into this one", responses=CHANGE)
async def merge_contacts(
    contact_id: UUID, body: ContactMerge, principal: Writer, session: DbSession
) -> ContactOut:
    """The other contact's identities, comments, messages, conversations, labels and notes join
    this one; reading the other then answers 404 `contact_merged` naming this one. Both must be
    of one brand (422 `contacts_of_other_brands`); a contact does not merge with itself (422
    `merge_with_itself`); more than 20 labels together is 422 `too_many_labels`."""
    row = await service.merge(
        session, principal=principal, contact_id=contact_id, other_id=body.contact_id
    )
    return ContactOut.from_row(row)
