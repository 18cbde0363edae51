"""Settings shared by every service, read from the environment by the entry point only."""

from __future__ import annotations

from typing import Literal

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from beacon_shared.egress.policy import (
    DEFAULT_DEADLINE_SECONDS,
    DEFAULT_MAX_RESPONSE_BYTES,
    EgressPolicy,
    parse_networks,
)


def _env(name: str) -> AliasChoices:
    # Platform-wide variables are unprefixed so one DATABASE_URL serves every service.
    return AliasChoices(name.lower(), name)


class ServiceSettings(BaseSettings):
    """Platform settings; each service subclasses it with its own env_prefix and fields."""

    model_config = SettingsConfigDict(extra="ignore", frozen=True, populate_by_name=True)

    service_name: str = "beacon"
    database_url: str = Field(validation_alias=_env("DATABASE_URL"))
    kafka_bootstrap: str = Field(validation_alias=_env("KAFKA_BOOTSTRAP"))
    # Apache Kafka supports idempotent producers; the embedded broker does not (see README).
    kafka_enable_idempotence: bool = Field(
        default=True, validation_alias=_env("KAFKA_ENABLE_IDEMPOTENCE")
    )
    kafka_replication_factor: int = Field(
        default=1, ge=1, validation_alias=_env("KAFKA_REPLICATION_FACTOR")
    )
    # The embedded broker answers a fetch only after this wait, even with records ready, so it
    # bounds each consumer hop's latency there; on Apache Kafka it only paces idle polling.
    kafka_fetch_max_wait_ms: int = Field(
        default=100, ge=0, validation_alias=_env("KAFKA_FETCH_MAX_WAIT_MS")
    )
    kafka_linger_ms: int = Field(default=5, ge=0, validation_alias=_env("KAFKA_LINGER_MS"))
    log_format: Literal["json", "console"] = Field(
        default="json", validation_alias=_env("LOG_FORMAT")
    )
    log_level: str = Field(default="INFO", validation_alias=_env("LOG_LEVEL"))
    log_requests: bool = Field(default=True, validation_alias=_env("LOG_REQUESTS"))
    db_pool_size: int = Field(default=10, ge=1, validation_alias=_env("DB_POOL_SIZE"))
    max_body_bytes: int = Field(default=1_048_576, ge=1024, validation_alias=_env("MAX_BODY_BYTES"))
    api_key_cache_seconds: float = Field(
        default=5.0, ge=0, validation_alias=_env("API_KEY_CACHE_SECONDS")
    )
    # Requests a minute per API key, for keys issued without their own limit; counted per API
    # process, so N replicas let a key through up to N times this.
    api_rate_limit_per_minute: int = Field(
        default=600, ge=1, validation_alias=_env("API_RATE_LIMIT_PER_MINUTE")
    )
    outbox_batch_size: int = Field(default=500, ge=1, validation_alias=_env("OUTBOX_BATCH_SIZE"))
    outbox_poll_seconds: float = Field(
        default=1.0, gt=0, validation_alias=_env("OUTBOX_POLL_SECONDS")
    )
    # Relayed events are kept this long, to be sent again if the broker loses them.
    outbox_retention_seconds: float = Field(
        default=86_400.0, ge=0, validation_alias=_env("OUTBOX_RETENTION_SECONDS")
    )
    outbox_loss_detection: bool = Field(
        default=True, validation_alias=_env("OUTBOX_LOSS_DETECTION")
    )
    # How often the relay compares partitions' high watermarks with what was acknowledged.
    outbox_check_seconds: float = Field(
        default=30.0, gt=0, validation_alias=_env("OUTBOX_CHECK_SECONDS")
    )
    consumer_max_retries: int = Field(
        default=3, ge=0, validation_alias=_env("CONSUMER_MAX_RETRIES")
    )
    consumer_retry_backoff_seconds: float = Field(
        default=0.2, ge=0, validation_alias=_env("CONSUMER_RETRY_BACKOFF_SECONDS")
    )
    consumer_batch_size: int = Field(
        default=500, ge=1, validation_alias=_env("CONSUMER_BATCH_SIZE")
    )
    # How long a silent member keeps its partitions; the embedded broker also delays joins by half.
    consumer_session_timeout_ms: int = Field(
        default=10_000, ge=1000, validation_alias=_env("CONSUMER_SESSION_TIMEOUT_MS")
    )
    # Readiness fails when the broker is unreachable unless a service can work without it.
    ready_requires_broker: bool = True
    bind_host: str = Field(default="0.0.0.0", validation_alias=_env("BIND_HOST"))  # noqa: S104
    http_port: int = 8000
    worker_port: int = 9000
    admin_token: SecretStr | None = Field(default=None, validation_alias=_env("BEACON_ADMIN_TOKEN"))
    # Sign-in: access tokens of this OpenID Connect issuer, meant for this audience, are accepted
    # as bearer tokens beside API keys (beacon_shared.auth.oidc); unset, only API keys are.
    oidc_issuer: str | None = Field(default=None, validation_alias=_env("OIDC_ISSUER"))
    oidc_audience: str = Field(default="beacon", validation_alias=_env("OIDC_AUDIENCE"))
    # The egress guard (beacon_shared.egress): what calls made on a tenant's behalf may reach.
    egress_allow_http: bool = Field(default=False, validation_alias=_env("EGRESS_ALLOW_HTTP"))
    egress_allowed_networks: str = Field(
        default="", validation_alias=_env("EGRESS_ALLOWED_NETWORKS")
    )
    egress_max_response_bytes: int = Field(
        default=DEFAULT_MAX_RESPONSE_BYTES,
        ge=1024,
        validation_alias=_env("EGRESS_MAX_RESPONSE_BYTES"),
    )
    egress_deadline_seconds: float = Field(
        default=DEFAULT_DEADLINE_SECONDS, gt=0, validation_alias=_env("EGRESS_DEADLINE_SECONDS")
    )

    @field_validator("egress_allowed_networks")
    @classmethod
    def _networks_parse(cls, value: str) -> str:
        parse_networks(value)
        return value

    @property
    def egress(self) -> EgressPolicy:
        """The egress guard's policy."""
        return EgressPolicy(
            allow_http=self.egress_allow_http,
            allowed_networks=parse_networks(self.egress_allowed_networks),
            max_response_bytes=self.egress_max_response_bytes,
            deadline_seconds=self.egress_deadline_seconds,
        )
