"""Instagram professional accounts: posts through the Instagram API with Facebook Login (Graph).

Account: `external_account_id` is the Instagram user id; credentials {"access_token": "..."}.
Publishing takes three steps: create a container (POST /{ig-user-id}/media, which fetches the
media from its public URL), wait until its status_code is FINISHED, then publish it (POST
/{ig-user-id}/media_publish). Only the last one makes anything visible, and it takes no
idempotency key. A post needs media; captions carry the link, since Instagram has no link field.
https://developers.facebook.com/docs/instagram-platform/content-publishing
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime, timedelta
from typing import Any, ClassVar

import httpx

from beacon_shared.contracts.common import Network
from beacon_shared.network_calls import (
    NetworkCallError,
    OutcomeUnknown,
    Refused,
    RetryLater,
    required,
)
from beacon_shared.networks.graph import (
    DEFAULT_BASE_URL,
    DEFAULT_VERSION,
    parse_time,
    string_id,
)
from publisher.connectors.base import (
    Account,
    MediaFile,
    PublishContent,
    PublishResult,
    RecentPost,
    newest_since,
)
from publisher.connectors.graph import GraphPublishing, media_kind, text_with_link
from publisher.connectors.rate_limits import RateLimitBook, utc_now

RECENT_FIELDS = "id,caption,timestamp,permalink"
FINISHED, PUBLISHED = "FINISHED", "PUBLISHED"
FAILED_STATUSES = frozenset({"ERROR", "EXPIRED"})


class PublishOutcomeUnknown(OutcomeUnknown):
    """media_publish went out and no usable answer came back. `container_id` names what was being
    published: `InstagramConnector.container_published` tells whether it went out."""

    def __init__(self, reason: str, *, container_id: str) -> None:
        super().__init__(reason)
        self.container_id = container_id


class InstagramConnector:
    """Publishes to an Instagram professional account and lists its recent media."""

    network: ClassVar[Network] = Network.instagram
    # The Graph API takes no idempotency key.
    idempotency_window: ClassVar[timedelta | None] = None

    def __init__(
        self,
        http: httpx.AsyncClient,
        limits: RateLimitBook,
        *,
        base_url: str = DEFAULT_BASE_URL,
        version: str = DEFAULT_VERSION,
        clock: Callable[[], datetime] = utc_now,
        status_poll_interval: timedelta = timedelta(seconds=10),
        status_polls: int = 30,
        quota_retry: timedelta = timedelta(hours=1),
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        """`status_polls` checks `status_poll_interval` apart bound the wait for a container
        (five minutes by default, the longest Meta suggests polling); `quota_retry` is how long
        an account whose publishing quota is spent waits before it is checked again."""
        if status_polls < 1:
            raise ValueError("status_polls must be at least 1")
        self._graph = GraphPublishing(
            http, limits, network=self.network, base_url=base_url, version=version, clock=clock
        )
        self._poll_interval = status_poll_interval
        self._polls = status_polls
        self._quota_retry = quota_retry
        self._sleep = sleep

    async def publish(
        self, account: Account, content: PublishContent, idempotency_key: str
    ) -> PublishResult:
        """Check the quota, build and publish the container, then the first comment if asked."""
        [token] = required(account.credentials, "access_token")
        if not content.media:
            raise Refused("an Instagram post needs at least one image or video: attach media")
        media = [(item, media_kind(item)) for item in content.media]
        caption = text_with_link(content.text, content.link)
        await self._check_quota(account, token)
        if len(media) == 1:
            [(item, kind)] = media
            container = await self._create_container(account, token, _single(item, kind, caption))
        else:
            children = []
            for item, kind in media:
                child = await self._create_container(account, token, _carousel_item(item, kind))
                if kind == "video":
                    # A carousel takes only children that are ready; images are at once.
                    await self._wait_until_finished(account, token, child)
                children.append(child)
            container = await self._create_container(
                account,
                token,
                {"media_type": "CAROUSEL", "children": ",".join(children), "caption": caption},
            )
        await self._wait_until_finished(account, token, container)
        media_id = await self._publish_container(account, token, container)
        url = await self._permalink(account, token, media_id)
        comment_id, comment_error = None, None
        if content.first_comment:
            comment_id, comment_error = await self._graph.comment(
                account, token, media_id, content.first_comment
            )
        return PublishResult(
            external_id=media_id,
            url=url,
            first_comment_id=comment_id,
            first_comment_error=comment_error,
        )

    async def recent_posts(self, account: Account, since: datetime) -> list[RecentPost]:
        """The account's media created at or after `since`, newest first."""
        [token] = required(account.credentials, "access_token")
        items = await self._graph.listing(
            account,
            token,
            f"{account.external_account_id}/media",
            params={"fields": RECENT_FIELDS, "since": str(int(since.timestamp())), "limit": "50"},
            time_field="timestamp",
            since=since,
        )
        posts = [post for item in items if (post := _recent_post(item)) is not None]
        return newest_since(posts, since)

    async def container_published(self, account: Account, container_id: str) -> bool:
        """Whether a container has been published (status_code PUBLISHED): after an unknown
        outcome, this answers for the one post in doubt without listing recent media."""
        [token] = required(account.credentials, "access_token")
        body = await self._graph.call(
            account,
            token,
            "GET",
            container_id,
            publishes=False,
            params={"fields": "status_code"},
        )
        return body.get("status_code") == PUBLISHED

    async def _check_quota(self, account: Account, token: str) -> None:
        """Instagram allows a number of API-published posts per rolling 24 hours (config.
        quota_total over config.quota_duration); a spent quota publishes nothing until a post
        leaves the window."""
        body = await self._graph.call(
            account,
            token,
            "GET",
            f"{account.external_account_id}/content_publishing_limit",
            publishes=False,
            params={"fields": "quota_usage,config"},
        )
        data = body.get("data")
        entry = data[0] if isinstance(data, list) and data and isinstance(data[0], dict) else {}
        config = entry.get("config")
        usage = entry.get("quota_usage")
        total = config.get("quota_total") if isinstance(config, dict) else None
        if not (isinstance(usage, int) and isinstance(total, int)) or usage < total:
            return
        # The answer says how many posts the window holds, not when the oldest leaves it, and
        # that can be anywhere in the next 24 hours (posts published elsewhere count too). So the
        # account waits `quota_retry` (an hour) and is checked again: one GET an hour while the
        # quota stays spent, and a post goes out at most that long after a slot frees.
        until = self._graph.exhaust(account, self._graph.now() + self._quota_retry)
        raise RetryLater(
            f"instagram's publishing quota is spent ({usage} of {total} posts in 24 hours)",
            kind="rate_limited",
            after=until,
        )

    async def _create_container(self, account: Account, token: str, data: Mapping[str, str]) -> str:
        # A container is not a post: until it is published, it shows nowhere.
        body = await self._graph.call(
            account,
            token,
            "POST",
            f"{account.external_account_id}/media",
            publishes=False,
            data=data,
        )
        container = string_id(body.get("id"))
        if container is None:
            raise RetryLater(
                "instagram answered a media container without an id; nothing was published",
                kind="server_error",
            )
        return container

    async def _wait_until_finished(self, account: Account, token: str, container: str) -> None:
        """Poll the container's status_code until FINISHED, a bounded number of times."""
        status: object = None
        for attempt in range(self._polls):
            if attempt:
                await self._sleep(self._poll_interval.total_seconds())
            body = await self._graph.call(
                account,
                token,
                "GET",
                container,
                publishes=False,
                params={"fields": "status_code,status"},
            )
            status = body.get("status_code")
            if status == FINISHED:
                return
            if status in FAILED_STATUSES:
                detail = body.get("status")
                raise Refused(
                    f"instagram could not process the media (container {container}: {status}"
                    + (f", {detail}" if isinstance(detail, str) and detail else "")
                    + ")"
                )
        raise RetryLater(
            f"instagram was still processing the media after {self._polls} checks "
            f"(container {container}: {status}); nothing was published",
            kind="server_error",
        )

    async def _publish_container(self, account: Account, token: str, container: str) -> str:
        try:
            body = await self._graph.call(
                account,
                token,
                "POST",
                f"{account.external_account_id}/media_publish",
                publishes=True,
                data={"creation_id": container},
            )
        except OutcomeUnknown as exc:
            raise PublishOutcomeUnknown(
                f"{exc.reason} (container {container})", container_id=container
            ) from exc
        media_id = string_id(body.get("id"))
        if media_id is None:
            raise PublishOutcomeUnknown(
                f"outcome unknown: instagram answered media_publish without an id "
                f"(container {container})",
                container_id=container,
            )
        return media_id

    async def _permalink(self, account: Account, token: str, media_id: str) -> str | None:
        """The post's URL, which Instagram's ids do not spell; the post is out even without it."""
        try:
            body = await self._graph.call(
                account,
                token,
                "GET",
                media_id,
                publishes=False,
                params={"fields": "permalink"},
            )
        except NetworkCallError:
            return None
        permalink = body.get("permalink")
        return permalink if isinstance(permalink, str) else None


def _single(item: MediaFile, kind: str, caption: str) -> dict[str, str]:
    if kind == "video":
        # Feed videos are published as reels.
        return {"media_type": "REELS", "video_url": item.url, "caption": caption}
    data = {"image_url": item.url, "caption": caption}
    if item.alt_text:
        data["alt_text"] = item.alt_text
    return data


def _carousel_item(item: MediaFile, kind: str) -> dict[str, str]:
    if kind == "video":
        return {"media_type": "VIDEO", "video_url": item.url, "is_carousel_item": "true"}
    return {"image_url": item.url, "is_carousel_item": "true"}


def _recent_post(item: Mapping[str, Any]) -> RecentPost | None:
    media_id = string_id(item.get("id"))
    created_at = parse_time(item.get("timestamp"))
    if media_id is None or created_at is None:
        return None
    caption, permalink = item.get("caption"), item.get("permalink")
    return RecentPost(
        external_id=media_id,
        text=caption if isinstance(caption, str) else "",
        created_at=created_at,
        url=permalink if isinstance(permalink, str) else None,
    )
