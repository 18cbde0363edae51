"""Request dependencies of the webhooks API."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from beacon_shared.auth import Principal, require_scope
from beacon_shared.crypto import SecretBox
from beacon_shared.egress import EgressPolicy
from publisher.config import Settings, webhook_box

Writer = Annotated[Principal, Depends(require_scope("webhooks:write"))]
Reader = Annotated[Principal, Depends(require_scope("webhooks:read"))]


async def _box(request: Request) -> SecretBox:
    settings: Settings = request.app.state.settings
    return webhook_box(settings)


async def _egress(request: Request) -> EgressPolicy:
    settings: Settings = request.app.state.settings
    return settings.egress


# Seals and opens endpoints' signing secrets.
Box = Annotated[SecretBox, Depends(_box)]
# What the egress guard lets endpoint URLs reach.
Egress = Annotated[EgressPolicy, Depends(_egress)]
