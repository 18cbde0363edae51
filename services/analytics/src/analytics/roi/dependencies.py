"""Request dependencies of the conversions and ROI API."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from beacon_shared.auth import Principal, require_scope
from beacon_shared.auth.verify import require_brand_scope

READ = "analytics:read"
# Conversions come from the organization's sites and belong to a brand only once attributed:
# recording them is for credentials of the whole organization.
Writer = Annotated[Principal, Depends(require_scope("analytics:write"))]
Reader = Annotated[Principal, Depends(require_brand_scope(READ))]
