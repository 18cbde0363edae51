"""HTTP models of the posts API."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from enum import StrEnum
from typing import Any, Self
from uuid import UUID

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    HttpUrl,
    field_validator,
    model_validator,
)
from sqlalchemy import Row

from beacon_shared.bounds import JsonBool, Timestamp, WallClock
from beacon_shared.contracts.common import Network
from beacon_shared.pagination import DEFAULT_LIMIT, MAX_LIMIT
from publisher.authoring.models import PostStatus, ReviewDecision
from publisher.content import MediaKind
from publisher.delivery.status import TargetStatus

MAX_TARGETS = 50
MAX_MEDIA = 10


class TargetIn(BaseModel):
    """One account the post goes to."""

    model_config = ConfigDict(extra="forbid")

    account_id: UUID = Field(description="A publishing account of the tenant.")
    network: Network | None = Field(
        default=None, description="Optional; when given it must be the account's network."
    )


class MediaIn(BaseModel):
    """An image or video, fetched from its URL (public addresses only) when the post goes out."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    url: HttpUrl
    alt_text: str | None = Field(default=None, max_length=1500)
    kind: MediaKind | None = Field(
        default=None, description="image or video; guessed from the URL's extension when absent."
    )


class VariantIn(BaseModel):
    """What changes on one network; absent fields fall back to the post's own."""

    model_config = ConfigDict(extra="forbid")

    text: str | None = Field(default=None, max_length=70_000)
    link: HttpUrl | None = None
    media: list[MediaIn] | None = Field(default=None, max_length=MAX_MEDIA)
    first_comment: str | None = Field(default=None, max_length=10_000)


class ScheduleIn(BaseModel):
    """When a post goes out: a UTC instant, a wall-clock time in a zone, or the next free slot."""

    model_config = ConfigDict(extra="forbid")

    scheduled_at: Timestamp | None = Field(
        default=None, description="An instant; must be in the future."
    )
    local_time: WallClock | None = Field(
        default=None,
        description="A wall-clock time without offset (2026-03-29T09:00), read in `timezone`; "
        "it stays 09:00 local across DST changes, for recurrences too.",
    )
    timezone: str | None = Field(
        default=None, max_length=64, description="IANA zone of `local_time`; default the brand's."
    )
    next_slot: JsonBool = Field(
        default=False, description="Each target takes its account's next free queue slot."
    )
    recurrence: str | None = Field(
        default=None,
        max_length=512,
        description="An RFC 5545 RRULE (FREQ=WEEKLY;BYDAY=MO;COUNT=10); needs `local_time` or "
        "`scheduled_at`; must end (COUNT or UNTIL).",
    )

    @field_validator("local_time")
    @classmethod
    def _naive(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is not None:
            raise ValueError("local_time is a wall-clock time: give it without an offset")
        return value

    @model_validator(mode="after")
    def _one_way(self) -> Self:
        ways = sum((self.scheduled_at is not None, self.local_time is not None, self.next_slot))
        if ways > 1:
            raise ValueError("give one of scheduled_at, local_time or next_slot")
        if self.timezone is not None and self.local_time is None:
            raise ValueError("timezone goes with local_time")
        if self.recurrence is not None and ways == 0:
            raise ValueError("a recurrence needs scheduled_at or local_time to start from")
        if self.recurrence is not None and self.next_slot:
            raise ValueError("a recurrence cannot follow queue slots")
        return self

    @property
    def given(self) -> bool:
        """Whether any time was given."""
        return self.scheduled_at is not None or self.local_time is not None or self.next_slot


class Submit(StrEnum):
    """What to do with a new post."""

    draft = "draft"
    review = "review"
    schedule = "schedule"


class PostIn(ScheduleIn):
    """A post for one or more accounts, with per-network variants."""

    text: str = Field(default="", max_length=70_000)
    link: HttpUrl | None = None
    media: list[MediaIn] = Field(default_factory=list, max_length=MAX_MEDIA)
    first_comment: str | None = Field(default=None, max_length=10_000)
    variants: dict[Network, VariantIn] = Field(default_factory=dict, max_length=len(Network))
    targets: list[TargetIn] = Field(min_length=1, max_length=MAX_TARGETS)
    brand_id: str | None = Field(default=None, max_length=128)
    campaign_id: UUID | None = None
    submit: Submit = Field(
        default=Submit.schedule,
        description="`draft` keeps it, `review` sends it to reviewers, `schedule` (the default) "
        "schedules it at once — refused for brands whose posts need approval.",
    )

    @field_validator("targets")
    @classmethod
    def _distinct_targets(cls, value: list[TargetIn]) -> list[TargetIn]:
        if len({t.account_id for t in value}) != len(value):
            raise ValueError("each account_id may appear only once")
        return value

    @model_validator(mode="after")
    def _time_to_schedule(self) -> Self:
        if self.submit is Submit.schedule and not self.given:
            raise ValueError("scheduling needs scheduled_at, local_time or next_slot")
        return self


class PostPatch(BaseModel):
    """Content changes to a post that has not started publishing; absent fields stay."""

    model_config = ConfigDict(extra="forbid")

    text: str | None = Field(default=None, max_length=70_000)
    link: HttpUrl | None = None
    media: list[MediaIn] | None = Field(default=None, max_length=MAX_MEDIA)
    first_comment: str | None = Field(default=None, max_length=10_000)
    variants: dict[Network, VariantIn] | None = Field(default=None, max_length=len(Network))
    campaign_id: UUID | None = None


class ReviewIn(BaseModel):
    """A reviewer's decision; who decides is the caller, recorded by the server."""

    model_config = ConfigDict(extra="forbid")

    comment: str | None = Field(default=None, max_length=5000)


class ChangesRequestedIn(ReviewIn):
    """Sending a post back to its author; the comment says what to change."""

    comment: str = Field(min_length=1, max_length=5000)


class ReviewOut(BaseModel):
    """One entry of a post's review history."""

    id: UUID
    reviewer: str = Field(
        description="Who did it: `user:<id>` or `key:<id>` (`author` for entries recorded "
        "before the acting principal was)."
    )
    decision: ReviewDecision
    comment: str | None
    created_at: datetime


class TargetOut(BaseModel):
    """One target of a post and how its publishing went."""

    id: UUID
    account_id: str
    network: Network
    status: TargetStatus
    due_at: datetime
    attempts: int
    external_id: str | None = Field(description="The network's id once published.")
    url: str | None
    error: str | None = Field(description="Why the last attempt failed, if it did.")
    failure_kind: str | None = Field(
        description="refused, credentials, exhausted, account or media, when failed."
    )
    warning: str | None = Field(
        default=None,
        description="Why the target will fail at its time unless something changes (its account "
        "needs reconnecting or was disconnected), or why it waits (its account's refreshed "
        "token); cleared when the account is connected again or its token refreshed.",
    )
    warning_kind: str | None = Field(
        default=None, description="credentials, account or refresh, when there is a warning."
    )
    first_comment_id: str | None
    first_comment_error: str | None
    published_at: datetime | None


class PostOut(BaseModel):
    """A post and its targets."""

    id: UUID
    brand_id: str | None
    campaign_id: str | None
    created_by: str | None = Field(
        description="Who wrote it: `user:<id>` or `key:<id>`; null for posts written before "
        "authors were recorded."
    )
    text: str
    link: str | None
    media: list[MediaIn]
    first_comment: str | None
    variants: dict[Network, VariantIn]
    status: PostStatus
    scheduled_at: datetime | None
    timezone: str | None
    local_scheduled_at: datetime | None
    recurrence: str | None
    series_id: UUID | None
    occurrence: int
    created_at: datetime
    updated_at: datetime
    targets: list[TargetOut]

    @classmethod
    def from_rows(cls, post: Row[Any], targets: Sequence[Row[Any]]) -> PostOut:
        """From a `post` row and its `post_target` rows."""
        return cls.model_validate(
            {
                **post._mapping,
                "targets": [TargetOut.model_validate(dict(t._mapping)) for t in targets],
            }
        )


class PostQuery(BaseModel):
    """Filters and paging of the post list."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    status: PostStatus | None = None
    brand_id: str | None = Field(default=None, max_length=128)
    campaign_id: str | None = Field(default=None, max_length=128)
    account_id: str | None = Field(default=None, max_length=128, description="Has this target.")
    network: Network | None = None
    from_: Timestamp | None = Field(
        default=None, alias="from", description="Scheduled at or after."
    )
    to: Timestamp | None = Field(default=None, description="Scheduled before.")
    cursor: str | None = Field(default=None, max_length=512, description="A next_cursor.")
    limit: int = Field(default=DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)


class PostPage(BaseModel):
    """One page of posts, newest first."""

    items: list[PostOut]
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next page; null at the end."
    )
