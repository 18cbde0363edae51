"""HTTP routes of replies and of each brand's messaging setting."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Path, Response, status

from beacon_shared import idempotency
from beacon_shared.db import DbSession
from beacon_shared.idempotency import IdempotencyKey
from inbox.access import Reader, Writer
from inbox.conversations.schemas import MessageOut
from inbox.replies import service
from inbox.replies.schemas import MessagingSettingIn, MessagingSettingOut, ReplyIn

router = APIRouter(prefix="/v1", tags=["replies"])
BrandId = Annotated[str, Path(min_length=1, max_length=128)]


@router.post(
    "/conversations/{conversation_id}/replies",
    summary="Reply in a conversation (a comment reply, or a private message)",
    status_code=status.HTTP_202_ACCEPTED,
    responses={401: {}, 403: {}, 404: {}, 422: {}},
)
async def reply(
    conversation_id: UUID,
    body: ReplyIn,
    principal: Writer,
    session: DbSession,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> MessageOut:
    """Filed in the thread as `pending` and sent by ingest's action executor; the message
    becomes `sent` (with the network's id) or `failed` (with the network's reason) when it is
    done. In a comment thread, a reply under `in_reply_to` (default: the latest message of the
    community); in a private conversation, a message to the person: Facebook and Instagram
    within 24 hours of their last message (7 days where the brand's messaging setting allows
    HUMAN_AGENT), X at any time; 422 `messaging_window_closed` says when the window closed, 422
    `private_reply_unsupported` names a network Beacon cannot send private messages on
    (LinkedIn, Mastodon, Bluesky). A retry with the same Idempotency-Key gets the same reply."""
    row, replayed = await service.reply(
        session,
        principal=principal,
        conversation_id=conversation_id,
        body=body,
        idempotency_key=idempotency_key,
        now=datetime.now(UTC),
    )
    idempotency.mark(response, key=idempotency_key, replayed=replayed)
    return MessageOut.from_row(row)


@router.get(
    "/messaging-settings/{brand_id}",
    summary="A brand's messaging setting",
    responses={401: {}, 403: {}},
)
async def get_setting(
    brand_id: BrandId, principal: Reader, session: DbSession
) -> MessagingSettingOut:
    """`human_agent` false until set."""
    row = await service.setting(session, principal=principal, brand_id=brand_id)
    return MessagingSettingOut.from_row(brand_id, row)


@router.put(
    "/messaging-settings/{brand_id}",
    summary="Set a brand's messaging setting",
    responses={401: {}, 403: {}, 422: {}},
)
async def put_setting(
    brand_id: BrandId, body: MessagingSettingIn, principal: Writer, session: DbSession
) -> MessagingSettingOut:
    """`human_agent`: whether the brand's Meta app holds the Human Agent permission (Meta
    reviews it), so private replies may go out up to 7 days after the person's last message."""
    row = await service.set_setting(
        session, principal=principal, brand_id=brand_id, data=body, now=datetime.now(UTC)
    )
    return MessagingSettingOut.from_row(brand_id, row)
