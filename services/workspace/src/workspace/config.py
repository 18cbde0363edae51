"""Workspace settings."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from beacon_shared.settings import ServiceSettings


class Settings(ServiceSettings):
    """Environment variables prefixed WORKSPACE_ (platform ones are unprefixed)."""

    model_config = SettingsConfigDict(
        env_prefix="WORKSPACE_", extra="ignore", frozen=True, populate_by_name=True
    )

    service_name: str = "workspace"
    http_port: int = 8005
    worker_port: int = 9005
