"""Settings are read from the environment when built, never when a module is imported."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from pydantic import ValidationError
from pydantic_settings import SettingsConfigDict

from beacon_shared.settings import ServiceSettings


class WidgetSettings(ServiceSettings):
    """A service's settings: its own fields prefixed, the platform's unprefixed."""

    model_config = SettingsConfigDict(
        env_prefix="WIDGET_", extra="ignore", frozen=True, populate_by_name=True
    )

    service_name: str = "widget"
    widget_limit: int = 10


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith(("WIDGET_", "KAFKA_", "CONSUMER_", "OUTBOX_")) or name in (
            "DATABASE_URL",
            "SERVICE_NAME",
        ):
            monkeypatch.delenv(name)


def test_every_module_imports_without_any_environment() -> None:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "KAFKA_BOOTSTRAP") and not k.startswith("BEACON")
    }
    script = (
        "import importlib, pkgutil, beacon_shared\n"
        "for m in pkgutil.walk_packages(beacon_shared.__path__, 'beacon_shared.'):\n"
        "    importlib.import_module(m.name)\n"
        "print('imported')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "imported"


def test_building_settings_without_the_required_variables_fails() -> None:
    with pytest.raises(ValidationError) as info:
        ServiceSettings()
    missing = {err["loc"][0] for err in info.value.errors()}
    assert {"database_url", "DATABASE_URL"} & missing
    assert {"kafka_bootstrap", "KAFKA_BOOTSTRAP"} & missing


def test_unprefixed_platform_variables_are_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql+asyncpg://db/beacon")
    monkeypatch.setenv("KAFKA_BOOTSTRAP", "kafka:9092")
    monkeypatch.setenv("CONSUMER_MAX_RETRIES", "7")

    settings = ServiceSettings()

    assert settings.database_url == "postgresql+asyncpg://db/beacon"
    assert settings.kafka_bootstrap == "kafka:9092"
    assert settings.consumer_max_retries == 7


def test_a_service_subclass_reads_its_prefix_and_the_unprefixed_platform_variables(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql+asyncpg://db/beacon")
    monkeypatch.setenv("KAFKA_BOOTSTRAP", "kafka:9092")
    monkeypatch.setenv("WIDGET_WIDGET_LIMIT", "42")
    monkeypatch.setenv("WIDGET_HTTP_PORT", "8123")
    monkeypatch.setenv("WIDGET_LIMIT", "1")  # not this service's spelling: ignored

    settings = WidgetSettings()

    assert settings.widget_limit == 42
    assert settings.http_port == 8123
    assert settings.service_name == "widget"
    assert settings.database_url == "postgresql+asyncpg://db/beacon"
    assert settings.kafka_bootstrap == "kafka:9092"


def test_explicit_arguments_win_over_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql+asyncpg://from-env/beacon")
    monkeypatch.setenv("KAFKA_BOOTSTRAP", "from-env:9092")
    monkeypatch.setenv("WIDGET_WIDGET_LIMIT", "42")

    settings = WidgetSettings(
        database_url="postgresql+asyncpg://given/beacon",
        kafka_bootstrap="given:9092",
        widget_limit=3,
    )

    assert settings.database_url == "postgresql+asyncpg://given/beacon"
    assert settings.kafka_bootstrap == "given:9092"
    assert settings.widget_limit == 3


def test_settings_are_frozen() -> None:
    settings = ServiceSettings(database_url="postgresql+asyncpg://db/x", kafka_bootstrap="k:1")

    with pytest.raises(ValidationError):
        settings.kafka_bootstrap = "other:1"  # type: ignore[misc]
