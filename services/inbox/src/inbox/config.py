"""Inbox settings."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

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
