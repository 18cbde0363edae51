"""Inbox settings."""

from __future__ import annotations

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import SettingsConfigDict

from beacon_shared.crypto import SecretBox, check_fernet_key
from beacon_shared.settings import ServiceSettings


class Settings(ServiceSettings):
    """Environment variables prefixed INBOX_ (platform ones are unprefixed)."""

    model_config = SettingsConfigDict(
        env_prefix="INBOX_", extra="ignore", frozen=True, populate_by_name=True
    )

    service_name: str = "inbox"
    http_port: int = 8006
    worker_port: int = 9006
    # How often the worker opens again the conversations whose snooze has ended.
    snooze_poll_seconds: float = Field(default=30.0, gt=0)
    # How often the worker looks for SLA clocks past their due time (a breach is raised within
    # about this long of it).
    sla_poll_seconds: float = Field(default=10.0, gt=0)
    # Fernet keys (comma-separated, newest first) sealing the webhook endpoints' signing secrets;
    # unset, none can be stored.
    credentials_key: SecretStr | None = None
    # Defaults to host:pid: who holds a webhook delivery's claim.
    worker_id: str | None = Field(default=None, max_length=128)
    # The live stream's log keeps each organization's events this long, and at most this many.
    stream_retention_seconds: float = Field(default=3600.0, gt=0)
    stream_max_events: int = Field(default=10_000, ge=100)
    # Events waiting to be written to one stream client; past it the client is cut off and
    # resumes with Last-Event-ID.
    stream_buffer: int = Field(default=1000, ge=10)
    # A comment line this often keeps idle connections open through proxies.
    stream_heartbeat_seconds: float = Field(default=15.0, gt=0)
    # A stream ends after this long, so a revoked credential stops reading; the client resumes.
    stream_max_seconds: float = Field(default=900.0, gt=0)

    @field_validator("credentials_key", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        return None if value == "" else value

    _is_a_fernet_key = field_validator("credentials_key")(check_fernet_key)


def webhook_box(settings: Settings) -> SecretBox:
    """The box that seals and opens the webhook endpoints' signing secrets."""
    return SecretBox(settings.credentials_key, setting="INBOX_CREDENTIALS_KEY")
