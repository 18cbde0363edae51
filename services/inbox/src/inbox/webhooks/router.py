"""HTTP routes of the organization's webhook subscriptions (`beacon_shared.webhooks.router` on the
inbox's tables): read with `interactions:read`, managed with `interactions:write`, both on the
whole organization, so a credential limited to some brands is refused (403)."""

from __future__ import annotations

from fastapi import Request

from beacon_shared.auth import require_scope
from beacon_shared.crypto import SecretBox
from beacon_shared.egress import EgressPolicy
from beacon_shared.webhooks.router import webhook_router
from inbox.access import READ, WRITE
from inbox.config import Settings, webhook_box
from inbox.webhooks.service import WEBHOOKS


async def _box(request: Request) -> SecretBox:
    settings: Settings = request.app.state.settings
    return webhook_box(settings)


async def _egress(request: Request) -> EgressPolicy:
    settings: Settings = request.app.state.settings
    return settings.egress


router = webhook_router(
    WEBHOOKS,
    read=require_scope(READ),
    write=require_scope(WRITE),
    box_of=_box,
    egress_of=_egress,
)
