"""Who is calling, whatever the credential: an organization's API key or a signed-in member."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from uuid import UUID


@dataclass(frozen=True)
class Principal:
    """A tenant (organization), the credential used, and what it may do there.

    `key_id` is the API key, or for a signed-in member their user id: what requests are metered
    by. `user_id` is set when a person is acting (a signed-in member, or their personal token),
    and `role` is then their role in the organization. `signed_in` is true only for the issuer's
    access token itself, not for a key acting for its user.

    `brand_scopes` is None when `scopes` hold on every brand of the organization. Otherwise the
    credential is limited to the brands it names, each with its own scopes (a member's per-brand
    roles, or a key limited to brands), and `scopes` is their union: enough to pass a route's
    gate, never enough for the organization's brand-less resources (`require_scope`).
    """

    tenant_id: str
    key_id: UUID
    scopes: frozenset[str]
    # The key's own limit; None means the platform default (api_rate_limit_per_minute).
    rate_limit_per_minute: int | None = None
    user_id: UUID | None = None
    role: str | None = None
    signed_in: bool = False
    brand_scopes: Mapping[str, frozenset[str]] | None = None

    def allows(self, scope: str) -> bool:
        """Whether the credential grants `scope` (on some brand, when limited to brands)."""
        return "*" in self.scopes or scope in self.scopes

    @property
    def limited(self) -> bool:
        """Whether the credential is limited to some of the organization's brands."""
        return self.brand_scopes is not None

    def allows_on(self, scope: str, brand_id: str | None) -> bool:
        """Whether the credential grants `scope` on `brand_id` (None: on the organization's
        brand-less resources, which only an unlimited credential reaches)."""
        if self.brand_scopes is None:
            return self.allows(scope)
        if brand_id is None:
            return False
        held = self.brand_scopes.get(brand_id, frozenset())
        return "*" in held or scope in held

    def brands_for(self, scope: str) -> frozenset[str] | None:
        """The brands on which the credential grants `scope`; None for all of them."""
        if self.brand_scopes is None:
            return None
        return frozenset(b for b, held in self.brand_scopes.items() if "*" in held or scope in held)

    @property
    def actor(self) -> str:
        """How writes record who made them: `user:<id>` or `key:<id>`."""
        return f"user:{self.user_id}" if self.user_id else f"key:{self.key_id}"
