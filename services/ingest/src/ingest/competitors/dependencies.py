"""Request dependencies of the tracked competitors API."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from beacon_shared.auth import Principal, require_scope

# Listening sits with interactions: whoever reads a brand's comments may watch its competitors.
Writer = Annotated[Principal, Depends(require_scope("interactions:write"))]
Reader = Annotated[Principal, Depends(require_scope("interactions:read"))]
