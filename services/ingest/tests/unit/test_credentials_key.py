"""The credentials key setting: a valid Fernet key or nothing."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet
from pydantic import ValidationError

from ingest.config import Settings

PLATFORM = {"database_url": "postgresql+asyncpg://db/beacon", "kafka_bootstrap": "broker:9092"}


def test_a_fernet_key_is_accepted():
    key = Fernet.generate_key().decode()
    settings = Settings(**PLATFORM, credentials_key=key)
    assert settings.credentials_key is not None
    assert settings.credentials_key.get_secret_value() == key


def test_a_blank_key_means_no_key(monkeypatch):
    monkeypatch.setenv("INGEST_CREDENTIALS_KEY", "")
    assert Settings(**PLATFORM).credentials_key is None


def test_a_malformed_key_fails_at_startup_without_echoing_it():
    with pytest.raises(ValidationError) as raised:
        Settings(**PLATFORM, credentials_key="not-a-real-key-but-secret")
    assert "Fernet key" in str(raised.value)
    assert "not-a-real-key-but-secret" not in str(raised.value)


def test_the_key_is_read_from_the_environment(monkeypatch):
    key = Fernet.generate_key().decode()
    monkeypatch.setenv("INGEST_CREDENTIALS_KEY", key)
    settings = Settings(**PLATFORM)
    assert settings.credentials_key is not None
    assert settings.credentials_key.get_secret_value() == key
