"""Connected account errors."""

from __future__ import annotations

from uuid import UUID

from beacon_shared.errors import Conflict, InvalidInput, NotFound


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


class ManagedInWorkspace(Conflict):
    code, title = "account_managed_in_workspace", "The account is managed in the workspace"

    def __init__(self, what: str) -> None:
        super().__init__(
            f"This account was connected in the workspace, which alone changes its {what}: "
            "connect it again or disconnect it there (/v1/connected-accounts)."
        )


class ConnectInWorkspace(InvalidInput):
    code, title = "connect_in_workspace", "Network accounts are connected in the workspace"

    def __init__(self, network: str, *, credentials: bool = False) -> None:
        what = (
            f"The credentials of a {network} account change in the workspace: connect it again"
            if credentials
            else f"A {network} account is connected in the workspace"
        )
        super().__init__(
            f"{what} (POST /v1/brands/{{brand_id}}/connections), whose accounts ingest keeps. "
            "Only sandbox accounts are connected here.",
            errors=[
                {
                    "pointer": "/credentials" if credentials else "/network",
                    "location": "body",
                    "type": "connect_in_workspace",
                    "message": "connect the account in the workspace",
                }
            ],
        )
