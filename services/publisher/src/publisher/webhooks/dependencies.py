"""Request dependencies of the webhooks API."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from beacon_shared.auth import Principal, require_scope
from beacon_shared.crypto import SecretBox
from publisher.config import Settings, credential_box

Writer = Annotated[Principal, Depends(require_scope("webhooks:write"))]
Reader = Annotated[Principal, Depends(require_scope("webhooks:read"))]


async def _box(request: Request) -> SecretBox:
    settings: Settings = request.app.state.settings
    return credential_box(settings)


async def _allow_private(request: Request) -> bool:
    settings: Settings = request.app.state.settings
    return settings.allow_private_addresses


# Seals and opens endpoints' signing secrets.
Box = Annotated[SecretBox, Depends(_box)]
# Whether endpoint URLs may be plain http on local addresses (tests, local development only).
AllowPrivate = Annotated[bool, Depends(_allow_private)]
