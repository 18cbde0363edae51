"""Request dependencies of the tracked competitors API."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from beacon_shared.auth import Principal
from beacon_shared.auth.verify import require_brand_scope
from ingest import access

# Listening sits with interactions: whoever reads a brand's comments may watch its competitors.
Writer = Annotated[Principal, Depends(require_brand_scope(access.WRITE))]
Reader = Annotated[Principal, Depends(require_brand_scope(access.READ))]
