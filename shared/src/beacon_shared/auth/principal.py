"""Who is calling, whatever the credential: an organization's API key or a signed-in member."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID


@dataclass(frozen=True)
class Principal:
    """A tenant (organization), the credential used, and what it may do there.

    `key_id` is the API key, or for a signed-in member their user id: what requests are metered
    by. `user_id` is set when a person is acting (a signed-in member, or their personal token),
    and `role` is then their role in the organization. `signed_in` is true only for the issuer's
    access token itself, not for a key acting for its user.
    """

    tenant_id: str
    key_id: UUID
    scopes: frozenset[str]
    # The key's own limit; None means the platform default (api_rate_limit_per_minute).
    rate_limit_per_minute: int | None = None
    user_id: UUID | None = None
    role: str | None = None
    signed_in: bool = False

    def allows(self, scope: str) -> bool:
        """Whether the credential grants `scope`."""
        return "*" in self.scopes or scope in self.scopes

    @property
    def actor(self) -> str:
        """How writes record who made them: `user:<id>` or `key:<id>`."""
        return f"user:{self.user_id}" if self.user_id else f"key:{self.key_id}"
