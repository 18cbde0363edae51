"""HTTP models of the tracked competitors API."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from sqlalchemy import Row

from beacon_shared.contracts.common import Network
from beacon_shared.egress import STRICT, UrlRefused, check_base_url
from beacon_shared.pagination import DEFAULT_LIMIT, MAX_LIMIT
from ingest.competitors.models import TrackingStatus

# Networks whose public posts the metrics poller reads.
TRACKABLE_NETWORKS = frozenset({Network.mastodon, Network.bluesky})


def public_instance_url(value: str) -> str:
    """`https://host[:port]` of a public Mastodon instance; anything else raises ValueError.

    The worker calls this URL, so the egress guard judges it now and again at connect time.
    """
    try:
        return check_base_url(value, STRICT)
    except UrlRefused as exc:
        raise ValueError(f"must be a public https root URL: {exc.reason}") from exc


class CompetitorIn(BaseModel):
    """A competitor's public account for one of the caller's brands to track."""

    model_config = ConfigDict(extra="forbid")

    brand_id: str = Field(min_length=1, max_length=128)
    network: Network = Field(description="mastodon or bluesky.")
    external_account_id: str = Field(
        min_length=1,
        max_length=256,
        description="The Mastodon account id on its instance, or the Bluesky DID (did:...).",
    )
    handle: str | None = Field(default=None, max_length=256)
    label: str | None = Field(default=None, max_length=256, description="e.g. the company name.")
    instance_url: str | None = Field(
        default=None,
        max_length=512,
        description="Mastodon only, required: the instance hosting the account, "
        "e.g. https://mastodon.social.",
    )
    status: TrackingStatus = TrackingStatus.active

    @field_validator("instance_url")
    @classmethod
    def _public(cls, value: str | None) -> str | None:
        return None if value is None else public_instance_url(value)

    @model_validator(mode="after")
    def _fits_the_network(self) -> CompetitorIn:
        if self.network not in TRACKABLE_NETWORKS:
            raise ValueError("only mastodon and bluesky accounts can be tracked")
        if self.network is Network.mastodon and self.instance_url is None:
            raise ValueError("a mastodon account needs its instance_url")
        if self.network is Network.bluesky:
            if self.instance_url is not None:
                raise ValueError("bluesky accounts are read from the public AppView: no instance")
            if not self.external_account_id.startswith("did:"):
                raise ValueError("a bluesky account is named by its DID (did:plc:...)")
        return self


class CompetitorPatch(BaseModel):
    """Changes to a tracked competitor; absent fields stay, null clears."""

    model_config = ConfigDict(extra="forbid")

    handle: str | None = Field(default=None, max_length=256)
    label: str | None = Field(default=None, max_length=256)
    instance_url: str | None = Field(
        default=None, max_length=512, description="Mastodon only; not nullable."
    )
    status: TrackingStatus | None = Field(default=None, description="Not nullable.")

    @field_validator("instance_url")
    @classmethod
    def _public(cls, value: str | None) -> str:
        # Runs only when the field is sent: absent means unchanged, null is refused.
        if value is None:
            raise ValueError("must be the instance's https:// URL")
        return public_instance_url(value)

    @field_validator("status")
    @classmethod
    def _status_not_null(cls, value: TrackingStatus | None) -> TrackingStatus:
        if value is None:
            raise ValueError("must be one of active, paused")
        return value


class CompetitorOut(BaseModel):
    """A tracked competitor, and how its last metrics poll went."""

    id: UUID
    brand_id: str
    network: Network
    external_account_id: str
    handle: str | None
    label: str | None
    instance_url: str | None
    status: TrackingStatus
    created_at: datetime
    updated_at: datetime
    metrics_polled_at: datetime | None = Field(
        description="When its posts' metrics were last read; null before the first poll."
    )
    metrics_error: str | None = Field(
        description="Why the latest polls failed (e.g. rate_limited, not_found); null when fine."
    )

    @classmethod
    def from_row(cls, row: Row[Any]) -> CompetitorOut:
        """From a repository row."""
        return cls.model_validate(dict(row._mapping))


class CompetitorQuery(BaseModel):
    """Filters and paging of the competitor list."""

    model_config = ConfigDict(extra="forbid")

    brand_id: str | None = Field(default=None, max_length=128)
    network: Network | None = None
    status: TrackingStatus | None = None
    cursor: str | None = Field(default=None, max_length=512, description="A next_cursor.")
    limit: int = Field(default=DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)


class CompetitorPage(BaseModel):
    """One page of tracked competitors, newest first."""

    items: list[CompetitorOut]
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next page; null at the end."
    )
