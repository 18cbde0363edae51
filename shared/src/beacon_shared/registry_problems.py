"""The problems ingest and the publisher answer about network accounts, which are connected in
the workspace's registry and only kept by them (docs/workspace.md)."""

from __future__ import annotations

from beacon_shared.errors import Conflict, InvalidInput


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
            f"The credentials of {network} accounts change in the workspace: connect it again"
            if credentials
            else f"{network.capitalize()} accounts are connected in the workspace"
        )
        super().__init__(
            f"{what} (POST /v1/brands/{{brand_id}}/connections), and kept here from its "
            "registry. Only sandbox accounts are connected here.",
            errors=[
                {
                    "pointer": "/credentials" if credentials else "/network",
                    "location": "body",
                    "type": "connect_in_workspace",
                    "message": "connect the account in the workspace",
                }
            ],
        )
