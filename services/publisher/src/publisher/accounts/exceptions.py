"""Publishing account errors."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from beacon_shared.errors import Conflict, InvalidInput, NotFound


class AccountNotFound(NotFound):
    code, title = "account_not_found", "Publishing account not found"

    def __init__(self, account_id: UUID) -> None:
        super().__init__(f"No publishing account {account_id} for this tenant.")


class AccountAlreadyConnected(Conflict):
    code, title = "account_already_connected", "The network account is already connected"

    def __init__(self) -> None:
        super().__init__("This tenant already has this network account; change that one instead.")


class UnknownAccounts(InvalidInput):
    code, title = "unknown_account", "Unknown publishing accounts"

    def __init__(self, pointers: Sequence[tuple[str, str]]) -> None:
        """`pointers`: (JSON pointer, account id) of each target naming no account of the tenant."""
        super().__init__(
            "No publishing account of this tenant has these ids (network accounts are connected "
            "in the workspace, POST /v1/brands/{brand_id}/connections): "
            + ", ".join(account_id for _, account_id in pointers),
            errors=[
                {
                    "pointer": pointer,
                    "location": "body",
                    "type": "unknown_account",
                    "message": f"no publishing account {account_id} for this tenant",
                }
                for pointer, account_id in pointers
            ],
        )


class AccountNetworkMismatch(InvalidInput):
    code, title = "account_network_mismatch", "The account is on another network"

    def __init__(self, pointer: str, account_network: str, given: str) -> None:
        super().__init__(
            f"The account is a {account_network} account, not {given}.",
            errors=[
                {
                    "pointer": pointer,
                    "location": "body",
                    "type": "account_network_mismatch",
                    "message": f"the account is on {account_network}",
                }
            ],
        )


class MastodonOnly(InvalidInput):
    code, title = "mastodon_only", "The setting applies to Mastodon accounts only"

    def __init__(self) -> None:
        super().__init__(
            "max_characters is a Mastodon instance's post length; other networks have fixed ones.",
            errors=[
                {
                    "pointer": "/max_characters",
                    "location": "body",
                    "type": "mastodon_only",
                    "message": "applies to Mastodon accounts only",
                }
            ],
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
            f"{what} (POST /v1/brands/{{brand_id}}/connections), whose accounts the publisher "
            "keeps. Only sandbox accounts are connected here.",
            errors=[
                {
                    "pointer": "/credentials" if credentials else "/network",
                    "location": "body",
                    "type": "connect_in_workspace",
                    "message": "connect the account in the workspace",
                }
            ],
        )
