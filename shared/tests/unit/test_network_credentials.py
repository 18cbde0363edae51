"""The credentials account events carry: opened with any of the platform's event keys, refused
as malformed when none opens them, and never shown in the refusal."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet
from pydantic import SecretStr

from beacon_shared.crypto import SecretBox
from beacon_shared.events import MalformedEvent
from beacon_shared.network_credentials import (
    EventKeyMissing,
    for_services,
    open_event_credentials,
    replica_box,
    replica_keys,
)

OLD, NEW = Fernet.generate_key().decode(), Fernet.generate_key().decode()


def sealed_with(key: str, credentials: dict[str, str]) -> str:
    return (
        SecretBox(SecretStr(key), setting="NETWORK_CREDENTIALS_KEYS").encrypt(credentials).decode()
    )


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
    with pytest.raises(EventKeyMissing, match="NETWORK_CREDENTIALS_KEYS"):
        open_event_credentials(None, sealed_with(NEW, {"access_token": "t-1"}))


def test_a_replica_is_sealed_with_the_platform_key_and_opens_what_the_service_sealed_before():
    service_key = Fernet.generate_key().decode()
    before = SecretBox(SecretStr(service_key), setting="INGEST_CREDENTIALS_KEY").encrypt(
        {"access_token": "t-old"}
    )
    box = replica_box(replica_keys(SecretStr(NEW), SecretStr(service_key)))

    sealed = box.encrypt({"access_token": "t-new"})

    assert open_event_credentials(SecretStr(NEW), sealed.decode()) == {"access_token": "t-new"}
    assert box.decrypt(before) == {"access_token": "t-old"}
    assert not box.sealed_with_newest(before)
    assert box.sealed_with_newest(box.reseal(before))


def test_without_the_platform_key_a_replica_box_seals_with_the_service_key():
    service_key = SecretStr(Fernet.generate_key().decode())

    sealed = replica_box(replica_keys(None, service_key)).encrypt({"access_token": "t"})

    assert SecretBox(service_key, setting="x").decrypt(sealed) == {"access_token": "t"}
    assert not replica_box(replica_keys(None, None)).configured


def test_refresh_tokens_stay_in_the_registry():
    assert for_services({"access_token": "a", "refresh_token": "r"}) == {"access_token": "a"}
