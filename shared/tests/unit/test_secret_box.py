"""Secrets at rest: sealed with the first key, opened by any, re-sealed after a rotation."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet
from pydantic import SecretStr

from beacon_shared.crypto import SecretBox, SecretKeyMissing, SecretsUnreadable, check_fernet_key

OLD, NEW = Fernet.generate_key().decode(), Fernet.generate_key().decode()


def box(*keys: str) -> SecretBox:
    return SecretBox(SecretStr(",".join(keys)), setting="TEST_KEY")


def test_secrets_round_trip():
    sealed = box(OLD).encrypt({"access_token": SecretStr("t-1"), "app": "a"})
    assert box(OLD).decrypt(sealed) == {"access_token": "t-1", "app": "a"}


def test_after_a_rotation_old_secrets_still_open_and_reseal_under_the_new_key():
    sealed_before = box(OLD).encrypt({"access_token": "t-1"})
    rotated = box(NEW, OLD)

    opened = rotated.decrypt(sealed_before)
    resealed = rotated.reseal(sealed_before)

    assert opened == {"access_token": "t-1"}
    assert box(NEW).decrypt(resealed) == opened
    with pytest.raises(SecretsUnreadable):
        box(NEW).decrypt(sealed_before)


def test_without_a_key_nothing_is_sealed_or_opened():
    empty = SecretBox(None, setting="TEST_KEY")
    with pytest.raises(SecretKeyMissing, match="TEST_KEY"):
        empty.encrypt({"a": "b"})
    with pytest.raises(SecretsUnreadable, match="TEST_KEY"):
        empty.decrypt(b"x")


def test_a_malformed_key_is_refused_without_echoing_it():
    with pytest.raises(ValueError, match="Fernet keys") as raised:
        check_fernet_key(SecretStr(f"{NEW},not-a-key-secret"))
    assert "not-a-key-secret" not in str(raised.value)
    assert check_fernet_key(SecretStr(f"{NEW}, {OLD}")) is not None
