"""Publisher settings."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from beacon_shared.settings import ServiceSettings


class Settings(ServiceSettings):
    """Environment variables prefixed PUBLISHER_ (platform ones are unprefixed)."""

    model_config = SettingsConfigDict(
        env_prefix="PUBLISHER_", extra="ignore", frozen=True, populate_by_name=True
    )

    service_name: str = "publisher"
    http_port: int = 8003
    worker_port: int = 9003
