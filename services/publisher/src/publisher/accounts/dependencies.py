"""Request dependencies of the publishing accounts API."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from beacon_shared.auth import Principal, require_scope
from beacon_shared.crypto import SecretBox
from publisher.config import Settings, account_box

Writer = Annotated[Principal, Depends(require_scope("accounts:write"))]
Reader = Annotated[Principal, Depends(require_scope("accounts:read"))]


async def _box(request: Request) -> SecretBox:
    settings: Settings = request.app.state.settings
    return account_box(settings)


Box = Annotated[SecretBox, Depends(_box)]
