"""Which brands a list or a figure covers for the credential asking."""

from __future__ import annotations

from beacon_shared.auth.brands import BrandDirectory
from beacon_shared.auth.principal import Principal


async def brands_to_read(
    brands: BrandDirectory, principal: Principal, scope: str, brand_id: str | None
) -> frozenset[str] | None:
    """The brand a query names, once checked (422 unknown_brand, 403 brand_not_allowed), or
    every brand on which the credential holds `scope`; None for all of them (rows without a
    brand included), as for a credential not limited to brands."""
    if brand_id is None:
        return principal.brands_for(scope)
    await brands.check(principal, scope, brand_id)
    return frozenset((brand_id,))
