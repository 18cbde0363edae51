"""Moderation settings."""

from __future__ import annotations

from pathlib import Path

from pydantic_settings import SettingsConfigDict

from beacon_shared.settings import ServiceSettings


class Settings(ServiceSettings):
    """Environment variables prefixed MODERATION_ (platform ones are unprefixed)."""

    model_config = SettingsConfigDict(
        env_prefix="MODERATION_", extra="ignore", frozen=True, populate_by_name=True
    )

    service_name: str = "moderation"
    http_port: int = 8002
    worker_port: int = 9002
    # The shared classifier's model files; unset: the ones shipped in the package.
    models_dir: Path | None = None
