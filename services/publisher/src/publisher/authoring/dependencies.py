"""Request dependencies of the posts API."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from beacon_shared.auth import Principal
from beacon_shared.auth.verify import require_brand_scope
from beacon_shared.contracts.common import Network
from publisher.config import Settings

# Posts belong to brands: a credential limited to some brands passes, and each route keeps to its
# brands (service.require_access, BrandDirectory.check, Principal.brands_for).
Writer = Annotated[Principal, Depends(require_brand_scope("posts:write"))]
Reader = Annotated[Principal, Depends(require_brand_scope("posts:read"))]
Approver = Annotated[Principal, Depends(require_brand_scope("posts:approve"))]


async def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


PublisherSettings = Annotated[Settings, Depends(_settings)]


async def _networks(request: Request) -> frozenset[Network]:
    networks: frozenset[Network] = request.app.state.networks
    return networks


# Networks with a connector in this deployment.
Networks = Annotated[frozenset[Network], Depends(_networks)]
