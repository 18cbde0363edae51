"""What a credential may see and change in moderation, brand by brand.

A credential limited to some brands (a member's brand roles, a key limited to brands) sees only
those brands' comments, decisions, review items, replies and audit entries: its lists are kept to
them, a single resource of another brand is not found (as another tenant's would be), and a change
to one it may read but not moderate is refused with 403 `brand_not_allowed`. Rows without a brand
belong to the whole organization: only an unlimited credential reaches them, except the
organization-wide saved replies, which every brand may use.
"""

from __future__ import annotations

from beacon_shared.auth.principal import Principal

READ = "moderation:read"
WRITE = "moderation:write"


def visible_brands(principal: Principal) -> frozenset[str] | None:
    """The brands whose moderation the credential may read; None for all (and brand-less rows)."""
    return principal.brands_for(READ)


def in_brands(brand_id: str | None, brand_ids: frozenset[str] | None) -> bool:
    """Whether a row of `brand_id` is among `brand_ids` (None: every row, brand-less ones too)."""
    return brand_ids is None or (brand_id is not None and brand_id in brand_ids)
