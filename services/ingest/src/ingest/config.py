"""Ingest settings."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from beacon_shared.settings import ServiceSettings


class Settings(ServiceSettings):
    """Environment variables prefixed INGEST_ (platform ones are unprefixed)."""

    model_config = SettingsConfigDict(
        env_prefix="INGEST_", extra="ignore", frozen=True, populate_by_name=True
    )

    service_name: str = "ingest"
    http_port: int = 8001
    worker_port: int = 9001
