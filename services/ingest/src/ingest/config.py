"""Ingest settings."""

from __future__ import annotations

from pydantic import AliasChoices, Field, SecretStr, field_validator, model_validator
from pydantic_settings import SettingsConfigDict

from beacon_shared.crypto import check_fernet_key
from beacon_shared.network_credentials import replica_keys
from beacon_shared.networks import graph, x
from beacon_shared.settings import ServiceSettings


class Settings(ServiceSettings):
    """Environment variables prefixed INGEST_ (platform ones are unprefixed)."""

    # Errors leave out the values: a malformed key or a DSN with its password must not be echoed.
    model_config = SettingsConfigDict(
        env_prefix="INGEST_",
        extra="ignore",
        frozen=True,
        populate_by_name=True,
        hide_input_in_errors=True,
    )

    service_name: str = "ingest"
    http_port: int = 8001
    worker_port: int = 9001
    # Deliveries are durable once in Postgres; the outbox emits them when the broker is back,
    # so a broker outage must not take ingest out of its load balancer.
    ready_requires_broker: bool = False
    # Concurrent deliveries share one transaction: each waits at most this long for company.
    group_commit_window_ms: float = Field(default=2.0, ge=0, le=100)
    group_commit_max_items: int = Field(default=2000, ge=1)
    # Groups written at once per process; the next group fills while they are written.
    group_commit_max_writes: int = Field(default=2, ge=1, le=32)
    # Ingest's own key from before the platform's: it only opens the accounts it sealed, which
    # the worker re-seals under NETWORK_CREDENTIALS_KEYS (unset it once none is left).
    credentials_key: SecretStr | None = None
    # The platform's keys (comma-separated, newest first) of network credentials outside the
    # registry: in the workspace's account events and in ingest's accounts at rest; unprefixed,
    # shared with the workspace and the publisher (beacon_shared.network_credentials).
    network_credentials_keys: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("network_credentials_keys", "NETWORK_CREDENTIALS_KEYS"),
    )
    # Meta webhooks: the app secret signs deliveries (X-Hub-Signature-256), the verify token is
    # the one typed in the App Dashboard for the subscription handshake. Unset, they are refused.
    meta_app_secret: SecretStr | None = None
    meta_verify_token: SecretStr | None = None
    # The X app's consumer secret (API secret key): signs the CRC answer and every delivery.
    x_consumer_secret: SecretStr | None = None
    # Mastodon and Bluesky pollers (the worker): each account's instance and tokens are in its
    # credentials; a failing account waits interval * 2^failures, at most poll_backoff_max_seconds.
    poll_enabled: bool = True
    poll_interval_seconds: float = Field(default=30.0, gt=0)
    poll_timeout_seconds: float = Field(default=10.0, gt=0)
    poll_backoff_max_seconds: float = Field(default=900.0, gt=0)
    poll_concurrency: int = Field(default=4, ge=1)
    # Post metrics (the worker): public totals of the brands' own Mastodon and Bluesky posts and
    # of tracked competitors' posts younger than metrics_max_post_age_days, read per account every
    # metrics_poll_interval_seconds (a failing account waits interval * 2^(failures - 1), at most
    # metrics_poll_backoff_max_seconds). Bluesky posts are read from a public AppView.
    metrics_poll_enabled: bool = True
    metrics_poll_interval_seconds: float = Field(default=900.0, gt=0)
    metrics_max_post_age_days: float = Field(default=7.0, gt=0)
    metrics_poll_backoff_max_seconds: float = Field(default=6 * 3600.0, gt=0)
    metrics_poll_concurrency: int = Field(default=4, ge=1)
    bluesky_appview_url: str = "https://public.api.bsky.app"
    # Network actions (the worker): moderation's hide, delete and reply requests, carried out
    # with the connected account's credentials. A due action is claimed by one replica for
    # action_hold_seconds; a retryable failure waits backoff * 2^(attempts - 1) (at least what a
    # rate limit asks), at most action_max_attempts calls within action_give_up_seconds.
    action_enabled: bool = True
    action_interval_seconds: float = Field(default=1.0, gt=0)
    action_batch_size: int = Field(default=20, ge=1)
    action_concurrency: int = Field(default=4, ge=1)
    action_timeout_seconds: float = Field(default=15.0, gt=0)
    action_max_attempts: int = Field(default=8, ge=1)
    action_backoff_seconds: float = Field(default=10.0, gt=0)
    action_backoff_max_seconds: float = Field(default=900.0, gt=0)
    action_give_up_seconds: float = Field(default=6 * 3600.0, gt=0)
    action_hold_seconds: float = Field(default=300.0, gt=0)
    # A workspace account whose token a network refused waits this long for the registry's
    # refresh (a refresher pass, 30 s by default, and one hop back) before it needs a person.
    credentials_refresh_wait_seconds: float = Field(default=120.0, gt=0)
    # How often the worker hands the accounts connected through this service's own API over to
    # the workspace's registry (beacon_shared.account_handover).
    account_handover_seconds: float = Field(default=300.0, gt=0)
    # The networks' raw payloads are kept this long for audit and re-normalising, then cleared
    # (the normalised interaction stays); the worker looks for expired ones every poll.
    raw_payload_retention_days: int = Field(default=30, ge=1)
    raw_payload_retention_poll_seconds: float = Field(default=3600.0, gt=0)
    # The networks' API roots; tests point them at fakes. Instagram accounts connected with
    # Instagram Login (not Facebook Login) use https://graph.instagram.com.
    graph_api_base_url: str = graph.DEFAULT_BASE_URL
    instagram_api_base_url: str = graph.DEFAULT_BASE_URL
    graph_api_version: str = graph.DEFAULT_VERSION
    x_api_base_url: str = x.DEFAULT_BASE_URL

    @model_validator(mode="after")
    def _hold_outlasts_an_action(self) -> Settings:
        # A hold shorter than an action's calls (a Bluesky reply makes up to five) would let
        # another replica take it while the first still waits for the network.
        if self.action_hold_seconds < 5 * self.action_timeout_seconds:
            raise ValueError("action_hold_seconds must be at least 5 * action_timeout_seconds")
        return self

    @field_validator(
        "credentials_key",
        "network_credentials_keys",
        "meta_app_secret",
        "meta_verify_token",
        "x_consumer_secret",
        mode="before",
    )
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        return None if value == "" else value

    _is_a_fernet_key = field_validator("credentials_key", "network_credentials_keys")(
        check_fernet_key
    )

    @property
    def account_keys(self) -> SecretStr | None:
        """The keyring of the accounts' credentials at rest (the platform's, then ingest's)."""
        return replica_keys(self.network_credentials_keys, self.credentials_key)
