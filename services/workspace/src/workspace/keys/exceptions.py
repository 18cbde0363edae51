"""Key errors (an unknown key is beacon_shared.auth.keys.ApiKeyNotFound)."""

from beacon_shared.errors import Forbidden, InvalidInput


class ScopesNotHeld(Forbidden):
    code, title = "scopes_not_held", "A key cannot be given scopes its issuer lacks"


class ExpiryInThePast(InvalidInput):
    code, title = "expiry_in_the_past", "A key cannot expire before it is issued"
