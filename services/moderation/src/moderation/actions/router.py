"""HTTP routes of network actions: a person hides, deletes or replies to a comment directly."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter

from beacon_shared.db import DbSession
from moderation.access import visible_brands
from moderation.actions import service
from moderation.comments.schemas import ActionIn, ActionOut, StoredCommentOut
from moderation.dependencies import Reader, Writer

router = APIRouter(prefix="/v1/comments", tags=["comments"])


@router.get(
    "/{interaction_id}",
    summary="Get a comment with its classification and actions",
    responses={401: {}, 403: {}, 404: {}},
)
async def get_comment(
    interaction_id: UUID, principal: Reader, session: DbSession
) -> StoredCommentOut:
    """By ingest's interaction id; 404 for a comment of a brand the caller may not read."""
    row, taken = await service.comment_with_actions(
        session,
        tenant_id=principal.tenant_id,
        interaction_id=interaction_id,
        brand_ids=visible_brands(principal),
    )
    return StoredCommentOut.from_rows(row, list(taken))


@router.post(
    "/{interaction_id}/actions",
    status_code=202,
    summary="Hide, delete or reply now",
    responses={401: {}, 403: {}, 404: {}, 422: {}},
)
async def act_on_comment(
    interaction_id: UUID, body: ActionIn, principal: Writer, session: DbSession
) -> ActionOut:
    """Accepted once requested; ingest carries it out and the outcome shows on the comment. The
    caller is recorded as the one who asked (`requested_by`)."""
    row = await service.act(session, principal=principal, interaction_id=interaction_id, data=body)
    return ActionOut.from_row(row)
