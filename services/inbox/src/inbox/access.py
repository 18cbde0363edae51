"""What a credential may see and change in the inbox, brand by brand.

Conversations carry the brand of the account their messages reached. A credential limited to some
brands sees only theirs: lists and counts are kept to them, naming another brand is 403
`brand_not_allowed`, a conversation of another brand is not found (as another tenant's would be),
and a change to one it may read but not change is 403. What has no brand belongs to the whole
organization: only a credential not limited to brands reaches it. The inbox reads and answers
interactions, so it asks for the interactions scopes.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from beacon_shared.auth.principal import Principal
from beacon_shared.auth.verify import require_brand_scope

READ = "interactions:read"
WRITE = "interactions:write"

# One callable each, so a route that needs the caller twice authenticates and meters them once.
_read = require_brand_scope(READ)
_write = require_brand_scope(WRITE)

Reader = Annotated[Principal, Depends(_read)]
Writer = Annotated[Principal, Depends(_write)]
