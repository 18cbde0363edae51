"""Connected accounts' credentials at rest, under the keyring `Settings.account_keys`: the
platform's NETWORK_CREDENTIALS_KEYS, then INGEST_CREDENTIALS_KEY for what it sealed before."""

from __future__ import annotations

from pydantic import SecretStr

from beacon_shared.crypto import SecretBox
from beacon_shared.network_credentials import replica_box


def credential_box(keys: SecretStr | None) -> SecretBox:
    """The box that seals and opens ingest's accounts' credentials."""
    return replica_box(keys)
