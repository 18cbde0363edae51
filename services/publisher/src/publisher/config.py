"""Publisher settings."""

from __future__ import annotations

from typing import Self

from pydantic import AliasChoices, Field, SecretStr, field_validator, model_validator
from pydantic_settings import SettingsConfigDict

from beacon_shared.crypto import SecretBox, check_fernet_key
from beacon_shared.network_credentials import replica_box, replica_keys
from beacon_shared.settings import ServiceSettings


class Settings(ServiceSettings):
    """Environment variables prefixed PUBLISHER_ (platform ones are unprefixed)."""

    model_config = SettingsConfigDict(
        env_prefix="PUBLISHER_",
        extra="ignore",
        frozen=True,
        populate_by_name=True,
        # A malformed key must not be echoed into logs by a validation error.
        hide_input_in_errors=True,
    )

    service_name: str = "publisher"
    http_port: int = 8003
    worker_port: int = 9003

    # A post may be scheduled this far in the past (clock skew, "publish now") and goes out at once.
    schedule_tolerance_seconds: float = Field(default=5.0, ge=0)
    # Short so a post due in a few seconds goes out within about a second.
    scheduler_poll_seconds: float = Field(default=0.25, gt=0, le=60)
    scheduler_batch_size: int = Field(default=50, ge=1, le=1000)
    # Targets one worker publishes at once; batches are claimed whenever there is room.
    scheduler_max_in_flight: int = Field(default=200, ge=1, le=10_000)
    # A claimed target whose worker has not finished by then is reclaimed by another worker.
    scheduler_lease_seconds: float = Field(default=60.0, gt=0)
    # Must stay below the lease so a slow network never outlives its claim.
    publish_timeout_seconds: float = Field(default=30.0, gt=0)
    publish_max_attempts: int = Field(default=5, ge=1)
    publish_retry_backoff_seconds: float = Field(default=5.0, ge=0)
    # An unknown outcome is looked for among the account's posts this long after it happened,
    # and again until the settle time has passed; then a post still not there is sent again.
    reconcile_delay_seconds: float = Field(default=15.0, gt=0)
    reconcile_settle_seconds: float = Field(default=120.0, ge=0)
    # A workspace account whose token a network refused waits this long for the registry's
    # refresh (a refresher pass, 30 s by default, and one hop back) before it needs a person.
    credentials_refresh_wait_seconds: float = Field(default=120.0, gt=0)
    # How often the worker hands the accounts connected through this service's own API over to
    # the workspace's registry (beacon_shared.account_handover).
    account_handover_seconds: float = Field(default=300.0, gt=0)
    media_max_bytes: int = Field(default=100 * 1024 * 1024, ge=1)
    # Fernet keys (comma-separated, newest first) sealing the webhook endpoints' signing secrets;
    # unset, none can be stored. For accounts it only opens what it sealed before the platform's
    # key, which the worker re-seals under NETWORK_CREDENTIALS_KEYS.
    credentials_key: SecretStr | None = None
    # The platform's keys (comma-separated, newest first) of network credentials outside the
    # registry: in the workspace's account events and in the publisher's accounts at rest;
    # unprefixed, shared with the workspace and ingest (beacon_shared.network_credentials).
    network_credentials_keys: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("network_credentials_keys", "NETWORK_CREDENTIALS_KEYS"),
    )
    # Defaults to host:pid, which is what shows in `claimed_by`.
    worker_id: str | None = Field(default=None, max_length=128)

    @field_validator("credentials_key", "network_credentials_keys", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        return None if value == "" else value

    _is_a_fernet_key = field_validator("credentials_key", "network_credentials_keys")(
        check_fernet_key
    )

    @model_validator(mode="after")
    def _timeout_within_lease(self) -> Self:
        if self.publish_timeout_seconds >= self.scheduler_lease_seconds:
            raise ValueError("publish_timeout_seconds must be shorter than scheduler_lease_seconds")
        return self


def webhook_box(settings: Settings) -> SecretBox:
    """The box that seals and opens the webhook endpoints' signing secrets."""
    return SecretBox(settings.credentials_key, setting="PUBLISHER_CREDENTIALS_KEY")


def account_box(settings: Settings) -> SecretBox:
    """The box of the accounts' credentials at rest: the platform's keys, then the publisher's
    (which opens only what it sealed before them)."""
    return replica_box(replica_keys(settings.network_credentials_keys, settings.credentials_key))
