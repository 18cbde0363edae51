"""Connected accounts' credentials at rest, under INGEST_CREDENTIALS_KEY."""

from __future__ import annotations

from pydantic import SecretStr

from beacon_shared.crypto import SecretBox


def credential_box(key: SecretStr | None) -> SecretBox:
    """The box that seals and opens credentials with ingest's key."""
    return SecretBox(key, setting="INGEST_CREDENTIALS_KEY")
