"""HTTP routes of conversations."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query, status

from beacon_shared.auth.brand_reads import brands_to_read
from beacon_shared.auth.brands import Brands
from beacon_shared.db import DbSession
from inbox.access import READ, Reader, Writer
from inbox.conversations import bulk, service
from inbox.conversations.schemas import (
    BulkChange,
    BulkResult,
    ConversationChange,
    ConversationDetail,
    ConversationOut,
    ConversationPage,
    ConversationQuery,
    Filters,
    MessageOut,
    NoteIn,
    NoteOut,
    SearchHit,
    SearchQuery,
    SearchResults,
    StatusCounts,
)

router = APIRouter(prefix="/v1/conversations", tags=["conversations"])
READ_LIST: dict[int | str, dict[str, Any]] = {400: {}, 401: {}, 403: {}, 422: {}}
CHANGE: dict[int | str, dict[str, Any]] = {401: {}, 403: {}, 404: {}, 422: {}}


@router.get("", summary="List conversations, the latest activity first", responses=READ_LIST)
async def list_conversations(
    query: Annotated[ConversationQuery, Query()],
    principal: Reader,
    brands: Brands,
    session: DbSession,
) -> ConversationPage:
    """On the brands the caller may read; `assignee=me` lists the caller's own, `unassigned`
    nobody's; `kind=review` those with a message waiting for a person; page with `cursor`."""
    brand_ids = await brands_to_read(brands, principal, READ, query.brand_id)
    rows, next_cursor = await service.list_page(
        session, principal=principal, query=query, brand_ids=brand_ids
    )
    return ConversationPage(
        items=[ConversationOut.from_row(r) for r in rows], next_cursor=next_cursor
    )


@router.get("/counts", summary="Count conversations by status", responses=READ_LIST)
async def count_conversations(
    filters: Annotated[Filters, Query()], principal: Reader, brands: Brands, session: DbSession
) -> StatusCounts:
    """The list's filters but the status; every status is named, zero included."""
    brand_ids = await brands_to_read(brands, principal, READ, filters.brand_id)
    counts = await service.counts(
        session, principal=principal, filters=filters, brand_ids=brand_ids
    )
    return StatusCounts(**counts)


@router.get("/search", summary="Search messages, best matches first", responses=READ_LIST)
async def search_conversations(
    query: Annotated[SearchQuery, Query()], principal: Reader, brands: Brands, session: DbSession
) -> SearchResults:
    """Full-text search in English and French (web search syntax), ranked; each conversation
    once, with its best matching message."""
    brand_ids = await brands_to_read(brands, principal, READ, query.brand_id)
    rows = await service.find(session, principal=principal, query=query, brand_ids=brand_ids)
    return SearchResults(
        items=[
            SearchHit(
                conversation=ConversationOut.from_row(r), rank=r.rank, message_id=r.message_id
            )
            for r in rows
        ]
    )


@router.post("/bulk", summary="Change many conversations at once", responses=CHANGE)
async def change_conversations(
    body: BulkChange, principal: Writer, session: DbSession
) -> BulkResult:
    """Assign, give to a team, set the priority, add or remove labels, resolve (any status): up
    to 100 conversations, all or none. 404 names those the caller cannot see, 403 a brand it may
    not change, 422 an assignee not allowed on one of their brands (`assignee_not_allowed`), an
    unknown team (`unknown_team`), more than 20 labels on one (`too_many_labels`), no field
    (`nothing_to_change`)."""
    rows = await bulk.change_many(session, principal=principal, data=body)
    return BulkResult(items=[ConversationOut.from_row(r) for r in rows])


@router.get(
    "/{conversation_id}",
    summary="Get a conversation with its messages and notes",
    responses={401: {}, 403: {}, 404: {}},
)
async def get_conversation(
    conversation_id: UUID, principal: Reader, session: DbSession
) -> ConversationDetail:
    found = await service.thread(session, principal=principal, conversation_id=conversation_id)
    return ConversationDetail(
        **ConversationOut.from_row(found.conversation).model_dump(),
        messages=[MessageOut.from_row(m) for m in found.messages],
        notes=[NoteOut.from_row(n) for n in found.notes],
    )


@router.patch(
    "/{conversation_id}",
    summary="Change status, assignee, team, priority or labels",
    responses=CHANGE,
)
async def change_conversation(
    conversation_id: UUID, body: ConversationChange, principal: Writer, session: DbSession
) -> ConversationOut:
    """Fields left out stay as they are. `snoozed` needs `snoozed_until` in the future (422
    `snooze_in_past`); the assignee must be a member allowed to answer on the conversation's
    brand (422 `assignee_not_allowed`); the team one of the organization's (422
    `unknown_team`); `labels` replaces the labels."""
    row = await service.change(
        session, principal=principal, conversation_id=conversation_id, data=body
    )
    return ConversationOut.from_row(row)


@router.post(
    "/{conversation_id}/notes",
    summary="Add a private note",
    status_code=status.HTTP_201_CREATED,
    responses=CHANGE,
)
async def add_note(
    conversation_id: UUID, body: NoteIn, principal: Writer, session: DbSession
) -> NoteOut:
    """Seen by the organization's members only, never sent to the network."""
    row = await service.add_note(
        session, principal=principal, conversation_id=conversation_id, text=body.text
    )
    return NoteOut.from_row(row)
