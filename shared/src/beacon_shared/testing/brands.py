"""Brands as the workspace announces them, for the tests of the services that consume them."""

from __future__ import annotations

from datetime import UTC, datetime

from beacon_shared.contracts.workspace import BrandConfigured


def workspace_brand(brand_id: str, **settings: object) -> BrandConfigured:
    """The workspace's `brand.configured` of a brand: the defaults, then `settings`, at now."""
    values: dict[str, object] = {
        "name": brand_id,
        "timezone": "UTC",
        "languages": [],
        "approval_required": False,
        "self_approval_allowed": False,
        "pause_on_alert": False,
        "configured_at": datetime.now(UTC),
    }
    return BrandConfigured.model_validate(values | settings | {"brand_id": brand_id})
