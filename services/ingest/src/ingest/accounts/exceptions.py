"""Connected account errors."""

from __future__ import annotations

from uuid import UUID

from beacon_shared.errors import Conflict, NotFound


class AccountNotFound(NotFound):
    code, title = "account_not_found", "Connected account not found"

    def __init__(self, account_id: UUID) -> None:
        super().__init__(f"No connected account {account_id}.")


class AccountAlreadyConnected(Conflict):
    # Says nothing of who holds it: tenants must not learn about each other.
    code, title = "account_already_connected", "The network account is already connected"

    def __init__(self) -> None:
        super().__init__(
            "This network account is already connected to Beacon; disconnect it there first."
        )
