"""Request dependencies of the publisher's webhooks API."""

from __future__ import annotations

from fastapi import Request

from beacon_shared.auth import require_scope
from beacon_shared.crypto import SecretBox
from beacon_shared.egress import EgressPolicy
from publisher.config import Settings, webhook_box

write = require_scope("webhooks:write")
read = require_scope("webhooks:read")


async def box(request: Request) -> SecretBox:
    """Seals and opens endpoints' signing secrets."""
    settings: Settings = request.app.state.settings
    return webhook_box(settings)


async def egress(request: Request) -> EgressPolicy:
    """What the egress guard lets endpoint URLs reach."""
    settings: Settings = request.app.state.settings
    return settings.egress
