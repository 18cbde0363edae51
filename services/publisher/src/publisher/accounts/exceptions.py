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
