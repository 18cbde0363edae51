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
    # Aggregation pays per row written: larger fetches pre-aggregate into fewer rows per event
    # (5,000 → 20,000 took the benchmark's mix from 1.5 to 0.7 rows an event; the platform
    # default is 500).
    consumer_batch_size: int = Field(
        default=20_000,
        ge=1,
        validation_alias=AliasChoices("consumer_batch_size", "CONSUMER_BATCH_SIZE"),
    )
