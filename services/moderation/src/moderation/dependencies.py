"""Request dependencies shared by moderation's routes: the caller and the brand they name."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path

from beacon_shared.auth.brands import Brands
from beacon_shared.auth.principal import Principal
from beacon_shared.auth.verify import require_brand_scope
from moderation.access import READ, WRITE

# One callable each, so a route that needs the caller twice (directly and through the brand
# check) authenticates and meters them once.
_read = require_brand_scope(READ)
_write = require_brand_scope(WRITE)

Reader = Annotated[Principal, Depends(_read)]
Writer = Annotated[Principal, Depends(_write)]
BrandPath = Annotated[
    str,
    Path(
        min_length=1,
        max_length=128,
        description="The brand's id, registered in the workspace.",
    ),
]


async def _readable_brand(brand_id: BrandPath, principal: Reader, brands: Brands) -> str:
    await brands.check(principal, READ, brand_id)
    return brand_id


async def _writable_brand(brand_id: BrandPath, principal: Writer, brands: Brands) -> str:
    await brands.check(principal, WRITE, brand_id)
    return brand_id


# The brand in the path: 422 unknown_brand when the organization has none such, 403
# brand_not_allowed when the credential may not read (or moderate) it.
ReadableBrand = Annotated[str, Depends(_readable_brand)]
WritableBrand = Annotated[str, Depends(_writable_brand)]
