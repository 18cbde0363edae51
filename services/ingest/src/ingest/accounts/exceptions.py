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


class CredentialsKeyMissing(Conflict):
    code, title = "credentials_key_missing", "Credentials cannot be stored"

    def __init__(self) -> None:
        super().__init__(
            "Ingest has no key to encrypt credentials with: set INGEST_CREDENTIALS_KEY "
            "(a Fernet key) and restart it, or connect the account without credentials."
        )


class CredentialsUnreadable(Exception):
    """Stored credentials that the configured key cannot decrypt (a changed or missing key)."""
