"""Facebook Pages: posts through the Graph API as the Page, with its Page access token.

Account: `external_account_id` is the Page id; credentials {"page_access_token": "..."}.
Text and links go to POST /{page-id}/feed; one image to POST /{page-id}/photos (published with
its message); several images are uploaded unpublished, then attached to one /feed post.
https://developers.facebook.com/docs/pages-api/posts
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, ClassVar

import httpx
import orjson

from beacon_shared.contracts.common import Network
from beacon_shared.network_calls import OutcomeUnknown, Refused, RetryLater, required
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

POST_URL = "https://www.facebook.com/{post_id}"
RECENT_FIELDS = "id,message,created_time,permalink_url"


class FacebookPageConnector:
    """Publishes to a Facebook Page and lists the Page's recent posts."""

    network: ClassVar[Network] = Network.facebook
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
    ) -> None:
        self._graph = GraphPublishing(
            http, limits, network=self.network, base_url=base_url, version=version, clock=clock
        )

    async def publish(
        self, account: Account, content: PublishContent, idempotency_key: str
    ) -> PublishResult:
        """Publish the post as the Page, then its first comment if asked for."""
        [token] = required(account.credentials, "page_access_token")
        images = _images(content.media)
        if not images:
            body = await self._post_to_feed(account, token, content)
        elif len(images) == 1:
            body = await self._post_photo(account, token, content, images[0])
        else:
            body = await self._post_photos(account, token, content, images)
        # /photos answers the photo's id and the id of the post carrying it; /feed the post's.
        post_id = string_id(body.get("post_id")) or string_id(body.get("id"))
        if post_id is None:
            raise OutcomeUnknown("outcome unknown: facebook answered the post without an id")
        comment_id, comment_error = None, None
        if content.first_comment:
            comment_id, comment_error = await self._graph.comment(
                account, token, post_id, content.first_comment
            )
        return PublishResult(
            external_id=post_id,
            url=POST_URL.format(post_id=post_id),
            first_comment_id=comment_id,
            first_comment_error=comment_error,
        )

    async def recent_posts(self, account: Account, since: datetime) -> list[RecentPost]:
        """The Page's posts created at or after `since`, newest first."""
        [token] = required(account.credentials, "page_access_token")
        items = await self._graph.listing(
            account,
            token,
            f"{account.external_account_id}/posts",
            params={"fields": RECENT_FIELDS, "since": str(int(since.timestamp())), "limit": "50"},
            time_field="created_time",
            since=since,
        )
        posts = [post for item in items if (post := _recent_post(item)) is not None]
        return newest_since(posts, since)

    async def _post_to_feed(
        self, account: Account, token: str, content: PublishContent
    ) -> Mapping[str, Any]:
        data = {"message": content.text}
        if content.link:
            data["link"] = content.link
        return await self._graph.call(
            account, token, "POST", f"{account.external_account_id}/feed", publishes=True, data=data
        )

    async def _post_photo(
        self, account: Account, token: str, content: PublishContent, image: MediaFile
    ) -> Mapping[str, Any]:
        data = {"url": image.url, "message": text_with_link(content.text, content.link)}
        if image.alt_text:
            data["alt_text_custom"] = image.alt_text
        return await self._graph.call(
            account,
            token,
            "POST",
            f"{account.external_account_id}/photos",
            publishes=True,
            data=data,
        )

    async def _post_photos(
        self,
        account: Account,
        token: str,
        content: PublishContent,
        images: Sequence[MediaFile],
    ) -> Mapping[str, Any]:
        page = account.external_account_id
        data = {"message": text_with_link(content.text, content.link)}
        for n, image in enumerate(images):
            upload = {"url": image.url, "published": "false"}
            if image.alt_text:
                upload["alt_text_custom"] = image.alt_text
            # An unpublished photo shows nowhere until a post attaches it.
            body = await self._graph.call(
                account, token, "POST", f"{page}/photos", publishes=False, data=upload
            )
            photo_id = string_id(body.get("id"))
            if photo_id is None:
                raise RetryLater(
                    "facebook answered a photo upload without an id; nothing was published",
                    kind="server_error",
                )
            data[f"attached_media[{n}]"] = orjson.dumps({"media_fbid": photo_id}).decode()
        return await self._graph.call(
            account, token, "POST", f"{page}/feed", publishes=True, data=data
        )


def _images(media: Sequence[MediaFile]) -> list[MediaFile]:
    """The post's images; Page videos are not published by this connector."""
    for item in media:
        if media_kind(item) != "image":
            raise Refused("videos cannot be published to a Facebook Page yet: attach images only")
    return list(media)


def _recent_post(item: Mapping[str, Any]) -> RecentPost | None:
    post_id = string_id(item.get("id"))
    created_at = parse_time(item.get("created_time"))
    if post_id is None or created_at is None:
        return None
    message, permalink = item.get("message"), item.get("permalink_url")
    return RecentPost(
        external_id=post_id,
        text=message if isinstance(message, str) else "",
        created_at=created_at,
        url=permalink if isinstance(permalink, str) else None,
    )
