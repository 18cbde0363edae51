"""Problems of the brand registry."""

from __future__ import annotations

from beacon_shared.errors import Conflict, NotFound


class BrandNotFound(NotFound):
    code, title = "brand_not_found", "Brand not found"


class BrandExists(Conflict):
    code, title = "brand_exists", "A brand with this id exists"


class TooManyBrands(Conflict):
    code, title = "too_many_brands", "The organization has as many brands as it may"
