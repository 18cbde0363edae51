"""Credentials at rest: Fernet tokens (AES-128-CBC with HMAC-SHA256) of their JSON."""

from __future__ import annotations

from collections.abc import Mapping

import orjson
from cryptography.fernet import Fernet, InvalidToken
from pydantic import SecretStr

from ingest.accounts.exceptions import CredentialsKeyMissing, CredentialsUnreadable


class CredentialCipher:
    """Encrypts and decrypts credentials with the configured key, refusing when there is none."""

    def __init__(self, key: SecretStr | None) -> None:
        self._fernet = Fernet(key.get_secret_value()) if key is not None else None

    def encrypt(self, credentials: Mapping[str, SecretStr]) -> bytes:
        """The token to store."""
        if self._fernet is None:
            raise CredentialsKeyMissing
        plain = {name: value.get_secret_value() for name, value in credentials.items()}
        return self._fernet.encrypt(orjson.dumps(plain))

    def decrypt(self, token: bytes) -> dict[str, str]:
        """The credentials a token holds."""
        if self._fernet is None:
            raise CredentialsUnreadable("INGEST_CREDENTIALS_KEY is not set")
        try:
            plain = orjson.loads(self._fernet.decrypt(token))
        except InvalidToken as exc:
            raise CredentialsUnreadable("the key does not decrypt these credentials") from exc
        return {str(name): str(value) for name, value in plain.items()}
