"""People errors (members not found and the last owner are beacon_shared.auth.members')."""

from beacon_shared.errors import Forbidden


class OwnerRequired(Forbidden):
    code, title = "owner_required", "Only an owner may do this"
