"""What a credential may see and change in ingest, brand by brand.

Interactions, connected accounts and tracked competitors each carry the brand they belong to (an
interaction the brand of the account it reached, as it was filed). A credential limited to some
brands sees only theirs: lists are kept to them, naming another brand is 403
`brand_not_allowed`, a single resource of another brand is not found (as another tenant's would
be), and a change to one it may read but not change is 403. What has no brand belongs to the
whole organization: only a credential not limited to brands reaches it.
"""

from __future__ import annotations

from beacon_shared.auth.brands import require_on
from beacon_shared.auth.principal import Principal
from beacon_shared.errors import DomainError

READ = "interactions:read"
WRITE = "interactions:write"


def check_existing(principal: Principal, brand_id: str | None, missing: DomainError) -> None:
    """A change to a stored resource of `brand_id`: `missing` (not found) unless the credential
    may read it, 403 unless it may change it."""
    if not principal.allows_on(READ, brand_id):
        raise missing
    require_on(principal, WRITE, brand_id)


def check_readable(principal: Principal, brand_id: str | None, missing: DomainError) -> None:
    """Raise `missing` for a resource of a brand the credential may not read."""
    if not principal.allows_on(READ, brand_id):
        raise missing
