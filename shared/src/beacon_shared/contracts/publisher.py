"""Events published by the publisher."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from beacon_shared.contracts.common import Network
from beacon_shared.contracts.workspace import HandedOverAccount, RefreshRequest
from beacon_shared.events import EventPayload


class ScheduleChange(StrEnum):
    """Why a `post.scheduled` event was emitted."""

    scheduled = "scheduled"
    rescheduled = "rescheduled"
    cancelled = "cancelled"


class PostTarget(BaseModel):
    """One account a post goes to."""

    model_config = ConfigDict(frozen=True)

    target_id: UUID
    account_id: str
    network: Network


class PostScheduled(EventPayload):
    """A post was scheduled, rescheduled or cancelled."""

    event_type = "publisher.post.scheduled"
    topic = "post.scheduled"

    post_id: UUID
    brand_id: str | None = None
    campaign_id: str | None = None
    change: ScheduleChange
    scheduled_at: datetime
    targets: list[PostTarget]


class PostPublished(EventPayload):
    """A post went out on one target account."""

    event_type = "publisher.post.published"
    topic = "post.published"

    post_id: UUID
    target_id: UUID
    brand_id: str | None = None
    campaign_id: str | None = None
    account_id: str
    network: Network
    external_id: str = Field(description="The network's id of the published post.")
    url: str | None = None
    scheduled_at: datetime
    published_at: datetime
    # Added: the network's id of the account it went out as (see CommentReceived).
    external_account_id: str | None = None
    # Added: how the publication was confirmed (`answer`: the network said so; `reconciled`: an
    # unknown outcome was found among the account's posts).
    confirmed_by: str = "answer"


class PostFailed(EventPayload):
    """A post could not go out on one target account; `reason` says why, for people."""

    event_type = "publisher.post.failed"
    topic = "post.failed"

    post_id: UUID
    target_id: UUID
    brand_id: str | None = None
    campaign_id: str | None = None
    account_id: str
    network: Network
    reason: str
    # `refused` (the network said no), `credentials` (token expired or revoked), `exhausted`
    # (attempts used up), `account` (the account is paused, gone or needs reconnecting).
    kind: str
    attempts: int
    scheduled_at: datetime
    failed_at: datetime


class AccountDeauthorized(EventPayload):
    """The network refused a publishing account's token: its posts stop until it is reconnected."""

    event_type = "publisher.account.deauthorized"
    topic = "account.deauthorized"

    account_id: UUID
    brand_id: str | None = None
    network: Network
    handle: str | None = None
    reason: str
    at: datetime


class BrandConfigured(EventPayload):
    """A brand's publishing settings were saved (its time zone is every service's day)."""

    event_type = "publisher.brand.configured"
    topic = "brand.configured"

    brand_id: str
    timezone: str = Field(description="IANA zone: the brand's days start at its midnight.")
    approval_required: bool
    pause_on_alert: bool = Field(
        default=False, description="Publishing pauses while a bad-buzz alert is open."
    )
    configured_at: datetime


class CampaignChanged(EventPayload):
    """A campaign was created or changed (archived included): the whole campaign each time."""

    event_type = "publisher.campaign.changed"
    topic = "campaign.changed"

    campaign_id: UUID
    brand_id: str | None = None
    name: str
    kind: str
    utm_campaign: str
    utm_medium: str
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    cost_amount: str | None = Field(default=None, description="A decimal, e.g. '1500.00'.")
    currency: str | None = None
    archived: bool = False
    changed_at: datetime


class AccountHandedOver(HandedOverAccount, EventPayload):
    """An account connected through the publisher's own API, handed over to the registry."""

    event_type = "publisher.account.handed_over"
    topic = "account.handover"


class AccountRefreshRequested(RefreshRequest, EventPayload):
    """A network refused the token of a workspace account the publisher posts as."""

    event_type = "publisher.account.refresh_requested"
    topic = "account.refresh.requested"
