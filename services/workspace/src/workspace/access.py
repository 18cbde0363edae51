"""Who may call the workspace's routes: Annotated dependencies of each kind of caller."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from beacon_shared.auth import Principal, require_scope
from beacon_shared.auth.oidc import Identity
from beacon_shared.auth.verify import require_caller, require_identity, require_person

PeopleReader = Annotated[Principal, Depends(require_scope("people:read"))]
PeopleWriter = Annotated[Principal, Depends(require_scope("people:write"))]
KeysReader = Annotated[Principal, Depends(require_scope("keys:read"))]
KeysWriter = Annotated[Principal, Depends(require_scope("keys:write"))]
# Any valid credential, about itself.
Caller = Annotated[Principal, Depends(require_caller())]
# Only a member signed in with the issuer's access token (no API key, no personal token).
Person = Annotated[Principal, Depends(require_person())]
# A signed-in person, member of the organization or not (accepting an invitation).
SignedIn = Annotated[Identity, Depends(require_identity())]

# OpenAPI marks of the routes no single scope opens (see tests/security/test_route_access.py).
ANY_CREDENTIAL = {"x-beacon-access": "any-credential"}
PERSON_ONLY = {"x-beacon-access": "signed-in-person"}
