"""Secrets at rest (network credentials, webhook signing secrets): Fernet tokens (AES-128-CBC with
HMAC-SHA256) of their JSON, under a key each service takes from its own setting.

The setting may list several keys, comma-separated: the first seals, every one opens. To rotate,
put the new key first, re-seal (`SecretBox.reseal`) or let updates re-seal, then drop the old one.
"""

from __future__ import annotations

from collections.abc import Mapping

import orjson
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from pydantic import SecretStr

from beacon_shared.errors import Conflict


class SecretKeyMissing(Conflict):
    code, title = "credentials_key_missing", "Credentials cannot be stored"

    def __init__(self, setting: str) -> None:
        super().__init__(
            f"The service has no key to encrypt secrets with: set {setting} (a Fernet key) and "
            "restart it."
        )


class SecretsUnreadable(Exception):
    """Stored secrets that the configured key cannot decrypt (a changed or missing key)."""


def _keys(value: SecretStr) -> list[str]:
    return [key.strip() for key in value.get_secret_value().split(",") if key.strip()]


def check_fernet_key(value: SecretStr | None) -> SecretStr | None:
    """A settings validator: one or more comma-separated Fernet keys; the message never echoes
    them."""
    if value is not None:
        try:
            keys = [Fernet(key) for key in _keys(value)]
        except ValueError:
            raise ValueError(
                "must be urlsafe-base64 32-byte Fernet keys, comma-separated"
            ) from None
        if not keys:
            raise ValueError("must name at least one Fernet key")
    return value


class SecretBox:
    """Encrypts and decrypts named secrets with the configured key, refusing when there is none."""

    def __init__(self, key: SecretStr | None, *, setting: str) -> None:
        fernets = [Fernet(k) for k in _keys(key)] if key is not None else []
        self._fernet = MultiFernet(fernets) if fernets else None
        self._newest = fernets[0] if fernets else None
        self._setting = setting

    @property
    def configured(self) -> bool:
        """Whether it has a key at all."""
        return self._fernet is not None

    def encrypt(self, secrets: Mapping[str, SecretStr | str]) -> bytes:
        """The token to store."""
        if self._fernet is None:
            raise SecretKeyMissing(self._setting)
        plain = {
            name: value.get_secret_value() if isinstance(value, SecretStr) else value
            for name, value in secrets.items()
        }
        return self._fernet.encrypt(orjson.dumps(plain))

    def decrypt(self, token: bytes) -> dict[str, str]:
        """The secrets a token holds."""
        if self._fernet is None:
            raise SecretsUnreadable(f"{self._setting} is not set")
        try:
            plain = orjson.loads(self._fernet.decrypt(token))
        except InvalidToken as exc:
            raise SecretsUnreadable("the key does not decrypt these secrets") from exc
        return {str(name): str(value) for name, value in plain.items()}

    def sealed_with_newest(self, token: bytes) -> bool:
        """Whether the first key opens the token (nothing left to re-seal)."""
        if self._newest is None:
            return False
        try:
            self._newest.decrypt(token)
        except InvalidToken:
            return False
        return True

    def reseal(self, token: bytes) -> bytes:
        """The token sealed again under the first key (after a rotation)."""
        if self._fernet is None:
            raise SecretsUnreadable(f"{self._setting} is not set")
        try:
            return self._fernet.rotate(token)
        except InvalidToken as exc:
            raise SecretsUnreadable("the keys do not open these secrets") from exc
