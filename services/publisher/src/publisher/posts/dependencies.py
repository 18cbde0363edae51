"""Request dependencies of the posts API."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Request

from beacon_shared.auth import Principal, require_scope
from beacon_shared.contracts.common import Network
from publisher.config import Settings

Writer = Annotated[Principal, Depends(require_scope("posts:write"))]
Reader = Annotated[Principal, Depends(require_scope("posts:read"))]


async def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


PublisherSettings = Annotated[Settings, Depends(_settings)]


async def _networks(request: Request) -> frozenset[Network]:
    networks: frozenset[Network] = request.app.state.networks
    return networks


# Networks with a connector in this deployment.
Networks = Annotated[frozenset[Network], Depends(_networks)]
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=255,
        description="Retrying with the same key returns the post the first request created.",
    ),
]
