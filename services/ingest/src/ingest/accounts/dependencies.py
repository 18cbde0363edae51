"""Request dependencies of the connected accounts API."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from beacon_shared.auth import Principal
from beacon_shared.auth.verify import require_brand_scope
from beacon_shared.crypto import SecretBox
from ingest import access
from ingest.accounts.crypto import credential_box
from ingest.config import Settings

Writer = Annotated[Principal, Depends(require_brand_scope(access.WRITE))]
Reader = Annotated[Principal, Depends(require_brand_scope(access.READ))]


async def _cipher(request: Request) -> SecretBox:
    settings: Settings = request.app.state.settings
    return credential_box(settings.account_keys)


Cipher = Annotated[SecretBox, Depends(_cipher)]
