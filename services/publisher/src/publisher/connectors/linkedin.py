"""LinkedIn: posts through the versioned REST Posts API as a member or an organization.

Account: `external_account_id` is the author URN (urn:li:person:... or urn:li:organization:...);
credentials {"access_token": "..."}. Every call names its API version (Linkedin-Version) and the
Rest.li protocol 2.0.0 (`beacon_shared.networks.linkedin`, with the error mapping). Images are
uploaded first (Images API), then the post references them; a link without images becomes an
article. The post's URN comes back in the x-restli-id header.
https://learn.microsoft.com/linkedin/marketing/community-management/shares/posts-api
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, time, timedelta
from typing import Any, ClassVar
from urllib.parse import quote, urlsplit

import httpx

from beacon_shared.contracts.common import Network
from beacon_shared.network_calls import (
    NetworkCallError,
    OutcomeUnknown,
    Refused,
    RetryLater,
    json_object,
    required,
    retry_after,
)
from beacon_shared.networks import linkedin
from publisher.connectors.base import (
    Account,
    MediaFile,
    PublishContent,
    PublishResult,
    RecentPost,
    newest_since,
)
from publisher.connectors.rate_limits import RateLimitBook, account_scope, utc_now

POST_URL = "https://www.linkedin.com/feed/update/{urn}/"
# Posts asked for per page of the author finder, and pages followed at most.
PAGE_SIZE = 50
MAX_PAGES = 5

# Commentary is in LinkedIn's `little` text format, where these characters mark mentions and
# templates; any of them left bare may end the text there (the post goes out cut short), so
# plain text escapes every one with a backslash.
# https://learn.microsoft.com/linkedin/marketing/community-management/shares/little-text-format
RESERVED = frozenset("\\|{}@[]()<>#*_~")
# `#` followed by a word is little's hashtag element, kept so hashtags stay hashtags.
_HASHTAG_SIGN = re.compile(r"(?<![\w#\\])#(?=\w)")
_ESCAPED = re.compile(r"\\([\\|{}@\[\]()<>#*_~])")


def little_text(text: str) -> str:
    """Plain text as `little` commentary: reserved characters escaped, hashtags kept."""
    hashtags = {match.start() for match in _HASHTAG_SIGN.finditer(text)}
    return "".join(
        f"\\{char}" if char in RESERVED and i not in hashtags else char
        for i, char in enumerate(text)
    )


def plain_text(little: str) -> str:
    """`little` commentary back to the text it escapes (mentions and templates left as sent)."""
    return _ESCAPED.sub(r"\1", little)


class LinkedInConnector:
    """Publishes to a LinkedIn member's or organization's feed and lists its recent posts."""

    network: ClassVar[Network] = Network.linkedin
    # The Posts API takes no idempotency key.
    idempotency_window: ClassVar[timedelta | None] = None

    def __init__(
        self,
        http: httpx.AsyncClient,
        limits: RateLimitBook,
        *,
        base_url: str = linkedin.DEFAULT_BASE_URL,
        version: str = linkedin.DEFAULT_VERSION,
        clock: Callable[[], datetime] = utc_now,
        rate_limit_wait: timedelta = timedelta(hours=1),
    ) -> None:
        """`version` is the Linkedin-Version header (YYYYMM). `rate_limit_wait` bounds how long
        a 429 holds the account back (see `_refused_for_rate`)."""
        self._api = linkedin.LinkedInApi(http, base_url=base_url, version=version, clock=clock)
        self._limits = limits
        self._clock = clock
        self._rate_limit_wait = rate_limit_wait

    async def publish(
        self, account: Account, content: PublishContent, idempotency_key: str
    ) -> PublishResult:
        """Upload the images, create the post, then its first comment if asked for."""
        [token] = required(account.credentials, "access_token")
        author = account.external_account_id
        images = _images(content.media)
        text = content.text
        post: dict[str, Any] = {
            "author": author,
            "visibility": "PUBLIC",
            "distribution": {
                "feedDistribution": "MAIN_FEED",
                "targetEntities": [],
                "thirdPartyDistributionChannels": [],
            },
            "lifecycleState": "PUBLISHED",
            "isReshareDisabledByAuthor": False,
        }
        if images:
            # A post carries images or an article, not both: the link goes in the text.
            text = _text_with_link(text, content.link)
            urns = [await self._upload_image(account, token, image) for image in images]
            described = [_media(urn, image) for urn, image in zip(urns, images, strict=True)]
            post["content"] = (
                {"media": described[0]}
                if len(described) == 1
                else {"multiImage": {"images": described}}
            )
        elif content.link:
            # The Posts API does not read the page for a preview: the card shows what is sent.
            post["content"] = {"article": {"source": content.link, "title": _title(content.link)}}
        post["commentary"] = little_text(text)
        response = await self._call(
            account, token, "POST", "/rest/posts", publishes=True, json=post
        )
        urn = response.headers.get("x-restli-id")
        if not urn:
            raise OutcomeUnknown(
                f"outcome unknown: linkedin answered {response.status_code} "
                "without the post's id (x-restli-id)"
            )
        comment_id, comment_error = None, None
        if content.first_comment:
            comment_id, comment_error = await self._comment(
                account, token, urn, content.first_comment
            )
        return PublishResult(
            external_id=urn,
            url=POST_URL.format(urn=urn),
            first_comment_id=comment_id,
            first_comment_error=comment_error,
        )

    async def recent_posts(self, account: Account, since: datetime) -> list[RecentPost]:
        """The author's posts created at or after `since`, newest first."""
        [token] = required(account.credentials, "access_token")
        posts: list[RecentPost] = []
        for page in range(MAX_PAGES):
            response = await self._call(
                account,
                token,
                "GET",
                "/rest/posts",
                publishes=False,
                params={
                    "q": "author",
                    "author": account.external_account_id,
                    "count": str(PAGE_SIZE),
                    "start": str(page * PAGE_SIZE),
                    "sortBy": "CREATED",
                },
                headers={"X-RestLi-Method": "FINDER"},
            )
            elements = json_object(response).get("elements")
            elements = elements if isinstance(elements, list) else []
            found = [post for item in elements if (post := _recent_post(item)) is not None]
            posts.extend(found)
            if len(elements) < PAGE_SIZE or any(post.created_at < since for post in found):
                break
        return newest_since(posts, since)

    async def _upload_image(self, account: Account, token: str, image: MediaFile) -> str:
        """Register an upload for the author, PUT the bytes; the image's URN. An uploaded image
        shows nowhere until a post references it."""
        response = await self._call(
            account,
            token,
            "POST",
            "/rest/images",
            publishes=False,
            params={"action": "initializeUpload"},
            json={"initializeUploadRequest": {"owner": account.external_account_id}},
        )
        value = json_object(response).get("value")
        value = value if isinstance(value, dict) else {}
        upload_url, urn = value.get("uploadUrl"), value.get("image")
        if not (isinstance(upload_url, str) and upload_url.startswith("https://")) or not (
            isinstance(urn, str) and urn
        ):
            raise RetryLater(
                "linkedin answered an image upload without its uploadUrl or image URN; "
                "nothing was published",
                kind="server_error",
            )
        await self._call(
            account,
            token,
            "PUT",
            upload_url,
            publishes=False,
            content=image.data,
            headers={"Content-Type": image.content_type},
        )
        return urn

    async def _comment(
        self, account: Account, token: str, urn: str, text: str
    ) -> tuple[str | None, str | None]:
        """A first comment as the author: (comment id, None), or (None, why not)."""
        try:
            response = await self._call(
                account,
                token,
                "POST",
                f"/rest/socialActions/{quote(urn, safe='')}/comments",
                publishes=True,
                json={
                    "actor": account.external_account_id,
                    "object": urn,
                    "message": {"text": text},
                },
            )
        except NetworkCallError as exc:
            return None, exc.reason
        body = json_object(response)
        comment_id = response.headers.get("x-restli-id") or body.get("$URN") or body.get("id")
        if not isinstance(comment_id, str | int) or isinstance(comment_id, bool) or not comment_id:
            return None, "linkedin answered the comment without its id"
        return str(comment_id), None

    async def _call(
        self,
        account: Account,
        token: str,
        method: str,
        url: str,
        *,
        publishes: bool,
        json: Mapping[str, Any] | None = None,
        params: Mapping[str, str] | None = None,
        content: bytes | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        """One call (a /rest path, or an upload URL LinkedIn gave); the answer if it succeeded.

        `publishes` marks the call that makes the post (or comment) visible: its lost answer
        leaves the outcome unknown, while other calls' lost answers are retried.
        """
        now = self._clock()
        self._limits.ensure_free(self.network, (account_scope(account.id),), now=now)
        try:
            response = await self._api.request(
                method,
                url,
                token=token,
                headers=dict(headers or {}),
                json=json,
                params=params,
                content=content,
            )
        except OutcomeUnknown as exc:
            if publishes:
                raise
            raise RetryLater(
                f"{exc.reason}, on a step that publishes nothing", kind="connection"
            ) from exc
        now = self._clock()
        if response.status_code == 429:
            raise self._refused_for_rate(response, account, now)
        linkedin.raise_for_answer(response, creates=publishes, now=now)
        return response

    def _refused_for_rate(
        self, response: httpx.Response, account: Account, now: datetime
    ) -> RetryLater:
        """A 429 spends the account's window. LinkedIn sends no reset header: its documented
        limits are daily and reset at midnight UTC, but it also answers 429 to protect its
        infrastructure, which clears by itself. So the account waits until midnight UTC or
        `rate_limit_wait` (an hour), whichever comes first: a spent daily limit costs one
        refused request an hour, and a passing 429 does not hold a post back for a day."""
        until = retry_after(response, now=now) or min(
            _next_utc_midnight(now), now + self._rate_limit_wait
        )
        scope = account_scope(account.id)
        known = self._limits.blocked_until(self.network, (scope,), now=now)
        until = max(until, known) if known is not None else until
        self._limits.exhaust(self.network, scope, until=until)
        return RetryLater(
            "linkedin answered 429"
            + (f": {detail}" if (detail := linkedin.message(response)) else ""),
            kind="rate_limited",
            after=until,
        )


def _images(media: Sequence[MediaFile]) -> list[MediaFile]:
    """The post's images; LinkedIn videos are not published by this connector."""
    for item in media:
        if not item.content_type.lower().startswith("image/"):
            raise Refused(
                f"media of type {item.content_type} cannot be published to LinkedIn yet: "
                "attach images only"
            )
    return list(media)


def _media(urn: str, image: MediaFile) -> dict[str, str]:
    described = {"id": urn}
    if image.alt_text:
        described["altText"] = image.alt_text
    return described


def _text_with_link(text: str, link: str | None) -> str:
    if not link or link in text:
        return text
    return f"{text}\n\n{link}" if text.strip() else link


def _title(link: str) -> str:
    """The article card's title: the link's host, the only thing known about the page."""
    host = urlsplit(link).hostname or ""
    return host.removeprefix("www.") or link


def _next_utc_midnight(now: datetime) -> datetime:
    return datetime.combine(now.astimezone(UTC).date() + timedelta(days=1), time(0), tzinfo=UTC)


def _recent_post(item: object) -> RecentPost | None:
    if not isinstance(item, dict):
        return None
    urn, commentary = item.get("id"), item.get("commentary")
    created = item.get("createdAt") or item.get("publishedAt")
    if not isinstance(urn, str) or not urn or not isinstance(created, int):
        return None
    return RecentPost(
        external_id=urn,
        text=plain_text(commentary) if isinstance(commentary, str) else "",
        created_at=datetime.fromtimestamp(created / 1000, UTC),
        url=POST_URL.format(urn=urn),
    )
