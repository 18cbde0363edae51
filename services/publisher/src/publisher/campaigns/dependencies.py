"""Request dependencies of the campaigns API: campaigns are read and written with posts."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from beacon_shared.auth import Principal, require_scope

Writer = Annotated[Principal, Depends(require_scope("posts:write"))]
Reader = Annotated[Principal, Depends(require_scope("posts:read"))]
