"""Request dependencies of the connected accounts API."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from beacon_shared.auth import Principal, require_scope
from ingest.accounts.crypto import CredentialCipher
from ingest.config import Settings

Writer = Annotated[Principal, Depends(require_scope("interactions:write"))]
Reader = Annotated[Principal, Depends(require_scope("interactions:read"))]


async def _cipher(request: Request) -> CredentialCipher:
    settings: Settings = request.app.state.settings
    return CredentialCipher(settings.credentials_key)


Cipher = Annotated[CredentialCipher, Depends(_cipher)]
