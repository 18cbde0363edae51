"""The credentials account events carry: opened with any of the platform's event keys, refused
as malformed when none opens them, and never shown in the refusal."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet
from pydantic import SecretStr

from beacon_shared.crypto import SecretBox
from beacon_shared.event_credentials import EventKeyMissing, open_event_credentials
from beacon_shared.events import MalformedEvent

OLD, NEW = Fernet.generate_key().decode(), Fernet.generate_key().decode()


def sealed_with(key: str, credentials: dict[str, str]) -> str:
    return SecretBox(SecretStr(key), setting="EVENT_CREDENTIALS_KEYS").encrypt(credentials).decode()


def test_any_of_the_keys_opens_them():
    keys = SecretStr(f"{NEW},{OLD}")

    assert open_event_credentials(keys, sealed_with(OLD, {"access_token": "t-1"})) == {
        "access_token": "t-1"
    }
    assert open_event_credentials(keys, sealed_with(NEW, {"access_token": "t-2"})) == {
        "access_token": "t-2"
    }


@pytest.mark.parametrize("sealed", ["another key", "not a token", "n\u00f6t ascii"])
def test_what_the_keys_cannot_open_is_malformed_and_not_shown(sealed):
    secret = "t-secret-42"
    token = sealed_with(Fernet.generate_key().decode(), {"access_token": secret})
    value = token if sealed == "another key" else sealed

    with pytest.raises(MalformedEvent) as refused:
        open_event_credentials(SecretStr(NEW), value)

    assert secret not in str(refused.value)
    assert value not in str(refused.value)


def test_without_keys_the_event_waits_for_them():
    with pytest.raises(EventKeyMissing, match="EVENT_CREDENTIALS_KEYS"):
        open_event_credentials(None, sealed_with(NEW, {"access_token": "t-1"}))
