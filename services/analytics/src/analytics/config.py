"""Analytics settings."""

from __future__ import annotations

from pydantic import AliasChoices, Field
from pydantic_settings import SettingsConfigDict

from beacon_shared.settings import ServiceSettings


class Settings(ServiceSettings):
    """Environment variables prefixed ANALYTICS_ (platform ones are unprefixed)."""

    model_config = SettingsConfigDict(
        env_prefix="ANALYTICS_", extra="ignore", frozen=True, populate_by_name=True
    )

    service_name: str = "analytics"
    http_port: int = 8004
    worker_port: int = 9004
    # Aggregation pays per statement, not per event: larger fetches pre-aggregate into fewer
    # rows per event (the platform default is 500).
    consumer_batch_size: int = Field(
        default=5000,
        ge=1,
        validation_alias=AliasChoices("consumer_batch_size", "CONSUMER_BATCH_SIZE"),
    )
