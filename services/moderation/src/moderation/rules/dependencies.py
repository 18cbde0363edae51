"""Request dependencies of the rule-set API."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path

from beacon_shared.auth import Principal, require_scope

Reader = Annotated[Principal, Depends(require_scope("moderation:read"))]
Writer = Annotated[Principal, Depends(require_scope("moderation:write"))]
BrandId = Annotated[str, Path(min_length=1, max_length=128, description="The brand's id.")]
Version = Annotated[
    int, Path(ge=0, le=2**31 - 1, description="1, 2, … per brand; 0 is the default rules.")
]


def actor_of(principal: Principal) -> str:
    """Who made a change, as stored and audited: the API key that called."""
    return f"key:{principal.key_id}"
