"""Publisher settings."""

from __future__ import annotations

from typing import Self

from pydantic import Field, model_validator
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

    # A post may be scheduled this far in the past (clock skew, "publish now") and goes out at once.
    schedule_tolerance_seconds: float = Field(default=5.0, ge=0)
    # Short so a post due in a few seconds goes out within about a second.
    scheduler_poll_seconds: float = Field(default=0.25, gt=0, le=60)
    scheduler_batch_size: int = Field(default=50, ge=1, le=1000)
    # A claimed target whose worker has not finished by then is reclaimed by another worker.
    scheduler_lease_seconds: float = Field(default=60.0, gt=0)
    # Must stay below the lease so a slow network never outlives its claim.
    publish_timeout_seconds: float = Field(default=30.0, gt=0)
    publish_max_attempts: int = Field(default=5, ge=1)
    publish_retry_backoff_seconds: float = Field(default=5.0, ge=0)
    # Defaults to host:pid, which is what shows in `claimed_by`.
    worker_id: str | None = Field(default=None, max_length=128)

    @model_validator(mode="after")
    def _timeout_within_lease(self) -> Self:
        if self.publish_timeout_seconds >= self.scheduler_lease_seconds:
            raise ValueError("publish_timeout_seconds must be shorter than scheduler_lease_seconds")
        return self
