"""X: posts through API v2 with the account's OAuth 2.0 user access token.

Credentials: {"access_token": "..."} (scopes tweet.read, tweet.write, users.read, media.write).
X takes no idempotency key: a post whose answer was lost is never sent again before the
account's recent posts say it is not there.

X's protocol (errors, rate-limit headers) is `beacon_shared.networks.x`. Rate limits: each
endpoint answers `x-rate-limit-remaining` / `x-rate-limit-reset` (epoch
seconds) per user, and posting also the 24-hour windows of the user
(`x-user-limit-24hour-*`) and of the whole app (`x-app-limit-24hour-*`). Posting's per-user
window is the account's own scope; the app's 24-hour window is the app's scope, shared by every
account the app posts for.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import PurePosixPath
from typing import Any, ClassVar
from urllib.parse import urlsplit

import httpx

from beacon_shared.contracts.common import Network
from beacon_shared.network_calls import (
    NetworkCallError,
    OutcomeUnknown,
    Refused,
    RetryLater,
    json_object,
    required,
)
from beacon_shared.networks import x
from beacon_shared.rate_limited_calls import Limit, call_within_limits
from publisher.connectors.base import (
    Account,
    MediaFile,
    PublishContent,
    PublishResult,
    RecentPost,
    newest_since,
    parse_timestamp,
)
from publisher.connectors.rate_limits import (
    RateLimitBook,
    account_scope,
    app_scope,
    utc_now,
)

# The endpoint's own window, and posting's 24-hour windows of the user and of the app.
TIMELINE_PAGE_SIZE = 100
_MEDIA_CATEGORIES = {"image/gif": "tweet_gif"}


class XConnector:
    """Posts with POST /2/tweets (images uploaded first, the first comment as a reply)."""

    network: ClassVar[Network] = Network.x
    idempotency_window: ClassVar[timedelta | None] = None

    def __init__(
        self,
        http: httpx.AsyncClient,
        limits: RateLimitBook,
        *,
        base_url: str = x.DEFAULT_BASE_URL,
        app_id: str = "default",
        media_poll_attempts: int = 10,
        recent_pages: int = 5,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        """`app_id` names the X app whose tokens this connector uses (its 24-hour window is
        shared by all its accounts); `media_poll_attempts` bounds the wait for an upload X
        still processes; `recent_pages` bounds the pages of 100 posts `recent_posts` reads."""
        self._api = x.XApi(http, base_url=base_url, clock=clock)
        self._limits = limits
        self._app_id = app_id
        self._poll_attempts = media_poll_attempts
        self._recent_pages = recent_pages
        self._clock = clock

    async def publish(
        self, account: Account, content: PublishContent, idempotency_key: str
    ) -> PublishResult:
        """Upload the images (with their alt text), post, then reply with the first comment.

        `idempotency_key` is unused: X has nothing to carry it."""
        (token,) = required(account.credentials, "access_token")
        if any(media.content_type.startswith("video/") for media in content.media):
            raise Refused("x posts here take images and GIFs only; videos are not supported")
        windows = self._posting(account) + (_media(account) if content.media else [])
        self._limits.ensure_free(self.network, [w.scope for w in windows], now=self._clock())
        media_ids = [await self._upload(account, token, media) for media in content.media]
        body: dict[str, Any] = {"text": _with_link(content.text, content.link)}
        if media_ids:
            body["media"] = {"media_ids": media_ids}
        post_id = await self._post(account, token, body)
        result = PublishResult(external_id=post_id, url=post_url(post_id))
        if content.first_comment is None:
            return result
        try:
            reply_id = await self._post(
                account,
                token,
                {"text": content.first_comment, "reply": {"in_reply_to_tweet_id": post_id}},
            )
        except NetworkCallError as exc:
            # The post is out: a failed comment is reported, not raised.
            return replace(result, first_comment_error=exc.reason)
        return replace(result, first_comment_id=reply_id)

    async def recent_posts(self, account: Account, since: datetime) -> list[RecentPost]:
        """The account's own posts (no replies, no reposts) created at or after `since`."""
        (token,) = required(account.credentials, "access_token")
        found: list[RecentPost] = []
        page_token: str | None = None
        for _ in range(self._recent_pages):
            params = {
                "start_time": since.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "tweet.fields": "created_at",
                "exclude": "replies,retweets",
                "max_results": str(TIMELINE_PAGE_SIZE),
            }
            if page_token is not None:
                params["pagination_token"] = page_token
            response = await self._call(
                _timeline(account),
                "GET",
                f"2/users/{account.external_account_id}/tweets",
                creates=False,
                params=params,
                token=token,
            )
            body = json_object(response)
            data = body.get("data", [])
            if not isinstance(data, list):
                raise RetryLater("x answered the timeline without a list", kind="server_error")
            found.extend(post for post in map(_post_of, data) if post and post.created_at >= since)
            meta = body.get("meta")
            next_token = meta.get("next_token") if isinstance(meta, dict) else None
            if not isinstance(next_token, str):
                break
            page_token = next_token
        return newest_since(found, since)

    async def _post(self, account: Account, token: str, body: Mapping[str, Any]) -> str:
        """POST /2/tweets: the new post's id."""
        response = await self._call(
            self._posting(account),
            "POST",
            "2/tweets",
            creates=True,
            json=body,
            token=token,
        )
        data = json_object(response).get("data")
        post_id = data.get("id") if isinstance(data, dict) else None
        if not isinstance(post_id, str | int) or not str(post_id):
            # X said yes without saying what it made: the post may be out.
            raise OutcomeUnknown("outcome unknown: x accepted the post without its id")
        return str(post_id)

    async def _upload(self, account: Account, token: str, media: MediaFile) -> str:
        """POST /2/media/upload, a bounded wait while X processes it, then its alt text."""
        response = await self._call(
            _media(account),
            "POST",
            "2/media/upload",
            creates=False,
            data={"media_category": _MEDIA_CATEGORIES.get(media.content_type, "tweet_image")},
            files={"media": (_file_name(media), media.data, media.content_type)},
            token=token,
        )
        data = json_object(response).get("data")
        media_id = data.get("id") if isinstance(data, dict) else None
        if not isinstance(media_id, str) or not media_id:
            raise RetryLater("x stored the media without its id", kind="server_error")
        processing = data.get("processing_info") if isinstance(data, dict) else None
        for _ in range(self._poll_attempts):
            state = processing.get("state") if isinstance(processing, dict) else None
            if state not in ("pending", "in_progress"):
                break
            wait = processing.get("check_after_secs") if isinstance(processing, dict) else None
            await asyncio.sleep(float(wait) if isinstance(wait, int | float) else 1.0)
            polled = await self._call(
                _media(account),
                "GET",
                "2/media/upload",
                creates=False,
                params={"command": "STATUS", "media_id": media_id},
                token=token,
            )
            status = json_object(polled).get("data")
            processing = status.get("processing_info") if isinstance(status, dict) else None
        state = processing.get("state") if isinstance(processing, dict) else None
        if state == "failed":
            raise Refused(f"x could not process media {_file_name(media)}")
        if state in ("pending", "in_progress"):
            raise RetryLater(
                f"x was still processing media {media_id}; nothing was posted",
                kind="server_error",
            )
        if media.alt_text:
            await self._call(
                _media(account),
                "POST",
                "2/media/metadata",
                creates=False,
                json={"id": media_id, "metadata": {"alt_text": {"text": media.alt_text}}},
                token=token,
            )
        return media_id

    async def _call(
        self,
        windows: Sequence[Limit],
        method: str,
        path: str,
        *,
        token: str,
        creates: bool,
        **kwargs: Any,
    ) -> httpx.Response:
        """One request limited by `windows` (the endpoint's own first): refused locally while
        one is spent, each recorded from the answer's headers, a non-2xx raised as what it
        means. Only a post (`creates`) can have gone out when no answer comes back."""
        response = await call_within_limits(
            self._limits,
            self.network,
            windows,
            lambda: self._api.request(method, path, token=token, **kwargs),
            creates=creates,
            detail=lambda answer: x.detail(json_object(answer)),
            clock=self._clock,
        )
        x.raise_for_answer(response, creates=creates, now=self._clock())
        return response

    def _posting(self, account: Account) -> list[Limit]:
        return [
            Limit(account_scope(account.id), x.ENDPOINT_LIMITS),
            Limit(f"{account_scope(account.id)}:24hour", x.USER_DAY_LIMITS),
            Limit(f"{app_scope(self._app_id)}:24hour", x.APP_DAY_LIMITS),
        ]


def post_url(post_id: str) -> str:
    """Where a post is seen, whatever the account's handle."""
    return f"https://x.com/i/web/status/{post_id}"


def _post_of(item: object) -> RecentPost | None:
    if not isinstance(item, dict):
        return None
    post_id, created_at = item.get("id"), parse_timestamp(item.get("created_at"))
    if not isinstance(post_id, str) or created_at is None:
        return None
    return RecentPost(
        external_id=post_id,
        text=str(item.get("text") or ""),
        created_at=created_at,
        url=post_url(post_id),
    )


def _media(account: Account) -> list[Limit]:
    return [Limit(f"{account_scope(account.id)}:media", x.ENDPOINT_LIMITS)]


def _timeline(account: Account) -> list[Limit]:
    return [Limit(f"{account_scope(account.id)}:timeline", x.ENDPOINT_LIMITS)]


def _with_link(text: str, link: str | None) -> str:
    if not link or link in text:
        return text
    return f"{text} {link}" if text else link


def _file_name(media: MediaFile) -> str:
    return PurePosixPath(urlsplit(media.url).path).name or "media"
