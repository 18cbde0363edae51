"""Workspace settings."""

from __future__ import annotations

from typing import Self

from pydantic import AliasChoices, Field, SecretStr, field_validator, model_validator
from pydantic_settings import SettingsConfigDict

from beacon_shared.crypto import check_fernet_key
from beacon_shared.settings import ServiceSettings


class Settings(ServiceSettings):
    """Environment variables prefixed WORKSPACE_ (platform ones are unprefixed)."""

    model_config = SettingsConfigDict(
        env_prefix="WORKSPACE_", extra="ignore", frozen=True, populate_by_name=True
    )

    service_name: str = "workspace"
    http_port: int = 8005
    worker_port: int = 9005

    # Connected accounts (workspace.connections). Fernet keys, comma-separated, newest first:
    # the first seals, every one opens (rotation: docs/workspace.md).
    credentials_keys: SecretStr | None = None
    # The platform's keys sealing credentials carried in events, shared with the services that
    # open them (ingest, the publisher); unprefixed.
    network_credentials_keys: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("network_credentials_keys", "NETWORK_CREDENTIALS_KEYS"),
    )
    # Where the networks send the browser back: `<public_url>/v1/connections/callback` must be
    # registered with each network's app.
    public_url: str = "http://localhost:8005"
    # Origins (`https://app.example.com`), comma-separated, that connect flows may return to.
    return_origins: str = ""
    oauth_timeout_seconds: float = Field(default=15.0, gt=0)
    # Beacon's apps at each network; unset, that network cannot be connected (409).
    meta_app_id: str | None = None
    meta_app_secret: SecretStr | None = None
    meta_auth_url: str = "https://www.facebook.com"
    meta_graph_url: str = "https://graph.facebook.com"
    meta_graph_version: str = "v23.0"
    x_client_id: str | None = None
    x_client_secret: SecretStr | None = None
    x_auth_url: str = "https://x.com"
    x_api_url: str = "https://api.x.com"
    linkedin_client_id: str | None = None
    linkedin_client_secret: SecretStr | None = None
    linkedin_auth_url: str = "https://www.linkedin.com"
    linkedin_api_url: str = "https://api.linkedin.com"
    mastodon_client_name: str = "Beacon"
    bluesky_service: str = "https://bsky.social"
    # The refresher: accounts whose access token expires within the margin are refreshed, each
    # claimed for the lease so that two refreshers never refresh one token at once.
    refresh_margin_seconds: float = Field(default=900.0, gt=0)
    refresh_poll_seconds: float = Field(default=30.0, gt=0)
    refresh_lease_seconds: float = Field(default=60.0, gt=0)
    # Accounts claimed, and refreshed at once, per batch; a pass claims batches until none is full.
    refresh_batch_size: int = Field(default=20, ge=1)
    # Meta's Page tokens do not expire but Meta invalidates them: each active Facebook Page and
    # Instagram account is checked (debug_token) at most every interval, claimed for the
    # refresher's lease; one whose data access (or token) lapses within the margin needs a
    # person before then.
    meta_check_interval_seconds: float = Field(default=12 * 3600.0, gt=0)
    meta_check_margin_seconds: float = Field(default=7 * 86400.0, ge=0)
    meta_check_poll_seconds: float = Field(default=300.0, gt=0)
    meta_check_batch_size: int = Field(default=20, ge=1)
    # Tokens revoked at the network after a disconnection: each tried up to `revocation_attempts`
    # times, waiting `revocation_backoff_seconds`, doubled after each failure, then given up.
    revocation_poll_seconds: float = Field(default=30.0, gt=0)
    revocation_attempts: int = Field(default=5, ge=1)
    revocation_backoff_seconds: float = Field(default=60.0, gt=0)
    revocation_batch_size: int = Field(default=20, ge=1)

    @field_validator("credentials_keys", "network_credentials_keys", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        return None if value == "" else value

    _are_fernet_keys = field_validator("credentials_keys", "network_credentials_keys")(
        check_fernet_key
    )

    @model_validator(mode="after")
    def _refresh_within_lease(self) -> Self:
        # A refresh whose answer came after the lease could race a second refresher.
        if self.oauth_timeout_seconds * 2 >= self.refresh_lease_seconds:
            raise ValueError("refresh_lease_seconds must exceed twice oauth_timeout_seconds")
        return self

    @property
    def return_origin_set(self) -> frozenset[str]:
        """The allowed return origins, normalised (scheme://host[:port], lower case)."""
        return frozenset(
            o.strip().rstrip("/").lower() for o in self.return_origins.split(",") if o.strip()
        )
