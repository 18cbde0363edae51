"""Replies from the inbox: checked, filed in their thread as pending, and asked of ingest's
action executor (`inbox.reply.requested`), which sends them and says how it went
(`action.completed`, `inbox.replies.intake`)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncSession

from beacon_shared import idempotency, outbox
from beacon_shared.auth.brands import require_on
from beacon_shared.auth.principal import Principal
from beacon_shared.contracts.common import Network
from beacon_shared.contracts.inbox import ReplyRequested
from beacon_shared.contracts.ingest import InteractionKind
from beacon_shared.contracts.moderation import NetworkAction
from beacon_shared.events import Envelope
from beacon_shared.logging import get_logger
from beacon_shared.messaging import no_dm_api, reply_window, window_closed
from inbox.access import READ, WRITE
from inbox.conversations import outbound
from inbox.conversations import service as conversations
from inbox.db import SOURCE
from inbox.db import outbox as outbox_table
from inbox.replies import repository
from inbox.replies.exceptions import (
    MessagingWindowClosed,
    NothingToReplyTo,
    PrivateReplyUnsupported,
)
from inbox.replies.keys import reply_keys
from inbox.replies.schemas import MessagingSettingIn, ReplyAccepted, ReplyIn

log = get_logger(__name__)
PRIVATE = "direct_message"


async def reply(
    session: AsyncSession,
    *,
    principal: Principal,
    conversation_id: UUID,
    body: ReplyIn,
    idempotency_key: str | None,
    now: datetime,
) -> tuple[Row[Any], bool]:
    """File a reply as pending and ask ingest to send it; the reply's message, and whether an
    Idempotency-Key replayed it. A private reply is refused before anything is filed on a network
    Beacon cannot send one on, or once the network's messaging window has closed."""

    async def produce(session: AsyncSession) -> ReplyAccepted:
        return ReplyAccepted(
            message_id=await _reply(
                session, principal=principal, conversation_id=conversation_id, body=body, now=now
            )
        )

    answer = await idempotency.answer_once(
        reply_keys,
        idempotency.savepoints(session),
        tenant_id=principal.tenant_id,
        key=idempotency_key,
        request=idempotency.fingerprint(
            {"conversation_id": str(conversation_id), **body.model_dump(mode="json")}
        ),
        model=ReplyAccepted,
        produce=produce,
    )
    row = await outbound.message_of(
        session, tenant_id=principal.tenant_id, message_id=answer.value.message_id
    )
    assert row is not None  # filed with the key, in this tenant
    return row, answer.replayed


async def _reply(
    session: AsyncSession,
    *,
    principal: Principal,
    conversation_id: UUID,
    body: ReplyIn,
    now: datetime,
) -> UUID:
    found = await conversations.get(session, principal=principal, conversation_id=conversation_id)
    require_on(principal, WRITE, found.brand_id)
    target = await outbound.replied_to(
        session, conversation_id=found.id, message_id=body.in_reply_to
    )
    if target is None:
        which = f"message {body.in_reply_to}" if body.in_reply_to else "message"
        raise NothingToReplyTo(f"Conversation {found.id} has no such {which} of the community.")
    network = Network(found.network)
    private = found.kind == PRIVATE
    human_agent = False
    if private:
        cannot = no_dm_api(network)
        if cannot is not None:
            raise PrivateReplyUnsupported(f"{cannot}.")
        human_agent = await allows_human_agent(
            session, tenant_id=principal.tenant_id, brand_id=found.brand_id
        )
        window = reply_window(network, found.last_inbound_at, human_agent=human_agent, now=now)
        if not window.open:
            raise MessagingWindowClosed(
                f"{window_closed(network, window, human_agent=human_agent)}.",
                errors=[
                    {
                        "closed_at": window.closes_at.isoformat() if window.closes_at else None,
                        "last_inbound_at": found.last_inbound_at.isoformat(),
                    }
                ],
            )
    action_id = uuid.uuid4()
    await outbound.add_outbound(
        session,
        {
            "id": action_id,
            "tenant_id": principal.tenant_id,
            "conversation_id": found.id,
            "brand_id": found.brand_id,
            "kind": PRIVATE if private else InteractionKind.reply.value,
            "parent_external_id": target.external_id,
            "direction": "outbound",
            "sent_via": "beacon",
            "sent_by": principal.actor,
            "delivery": "pending",
            "text": body.text,
            "created_at": now,
            "received_at": now,
        },
    )
    await outbound.summarise(
        session, conversation_id=found.id, at=now, text=body.text, answered=False, now=now
    )
    request = ReplyRequested(
        action_id=action_id,
        interaction_id=target.interaction_id,
        brand_id=found.brand_id,
        account_id=found.account_id,
        network=network,
        external_id=target.external_id,
        thread_external_id=found.thread_external_id,
        action=NetworkAction.reply,
        reply_text=body.text,
        author_handle=target.author_handle,
        requested_by=principal.actor,
        comment_created_at=target.created_at,
        requested_at=now,
        conversation_id=found.id,
        kind=InteractionKind(target.kind),
        recipient_external_id=target.author_network_id if private else None,
        last_inbound_at=found.last_inbound_at if private else None,
        human_agent=human_agent,
    )
    await outbox.stage(
        session,
        outbox_table,
        [
            Envelope.build(
                request,
                tenant_id=principal.tenant_id,
                subject=str(action_id),
                source=SOURCE,
            )
        ],
        keys=[found.thread_external_id],
    )
    log.info(
        "reply.requested",
        tenant_id=principal.tenant_id,
        conversation_id=str(found.id),
        message_id=str(action_id),
        private=private,
        actor=principal.actor,
    )
    return action_id


async def allows_human_agent(
    session: AsyncSession, *, tenant_id: str, brand_id: str | None
) -> bool:
    """Whether the brand allows Meta's HUMAN_AGENT tag on its private replies."""
    if brand_id is None:
        return False
    row = await repository.setting(session, tenant_id=tenant_id, brand_id=brand_id)
    return bool(row is not None and row.human_agent)


async def setting(session: AsyncSession, *, principal: Principal, brand_id: str) -> Row[Any] | None:
    """A brand's messaging setting the caller may read (else 403)."""
    require_on(principal, READ, brand_id)
    return await repository.setting(session, tenant_id=principal.tenant_id, brand_id=brand_id)


async def set_setting(
    session: AsyncSession,
    *,
    principal: Principal,
    brand_id: str,
    data: MessagingSettingIn,
    now: datetime,
) -> Row[Any]:
    """Set a brand's messaging setting, for a caller who may answer on it (else 403)."""
    require_on(principal, WRITE, brand_id)
    row = await repository.put_setting(
        session,
        {
            "tenant_id": principal.tenant_id,
            "brand_id": brand_id,
            "human_agent": data.human_agent,
            "updated_by": principal.actor,
            "updated_at": now,
        },
    )
    log.info(
        "messaging_setting.changed",
        tenant_id=principal.tenant_id,
        brand_id=brand_id,
        human_agent=data.human_agent,
        actor=principal.actor,
    )
    return row
