"""Mastodon: statuses and media through the instance's REST API, with the account's access token.

Credentials: {"access_token": "..."}; the account's `instance_url` is the instance's base URL.
A status carries an `Idempotency-Key`, which the instance remembers for an hour: a status sent
again under the same key within that hour returns the first one instead of posting twice.

Mastodon counts requests in families, each answered with its own `X-RateLimit-Remaining` and
`X-RateLimit-Reset` (ISO 8601): posting statuses, uploading media, and every other call. Each
family is a window of the rate-limit book: the statuses family is the account's own scope.
Mastodon's protocol (errors, headers) is `beacon_shared.networks.mastodon`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from html.parser import HTMLParser
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
from beacon_shared.networks import mastodon
from beacon_shared.networks.mastodon import MastodonApi
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
    utc_now,
)

# GET /api/v1/accounts/:id/statuses returns at most 40 statuses a page.
STATUSES_PAGE_SIZE = 40


class MastodonConnector:
    """Posts statuses (media first, then the status, then the first comment as a reply)."""

    network: ClassVar[Network] = Network.mastodon
    idempotency_window: ClassVar[timedelta | None] = mastodon.IDEMPOTENCY_KEY_TTL

    def __init__(
        self,
        http: httpx.AsyncClient,
        limits: RateLimitBook,
        *,
        media_poll_interval: float = 1.0,
        media_poll_attempts: int = 30,
        recent_pages: int = 5,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        """`media_poll_*` bound the wait for an upload the instance still processes (a 202);
        `recent_pages` bounds how many pages of 40 statuses `recent_posts` reads."""
        self._http = http
        self._limits = limits
        self._poll_interval = media_poll_interval
        self._poll_attempts = media_poll_attempts
        self._recent_pages = recent_pages
        self._clock = clock

    async def publish(
        self, account: Account, content: PublishContent, idempotency_key: str
    ) -> PublishResult:
        """Upload the media, post the status under `idempotency_key`, then the first comment."""
        api = self._instance(account)
        (token,) = required(account.credentials, "access_token")
        scopes = _statuses(account) + (_media(account) if content.media else [])
        self._limits.ensure_free(self.network, scopes, now=self._clock())
        media_ids = [await self._upload(account, api, token, media) for media in content.media]
        form: dict[str, Any] = {"status": _with_link(content.text, content.link)}
        if media_ids:
            form["media_ids[]"] = media_ids
        status = await self._post_status(account, api, token, form, idempotency_key)
        result = PublishResult(external_id=status[0], url=status[1])
        if content.first_comment is None:
            return result
        try:
            reply = await self._post_status(
                account,
                api,
                token,
                {"status": content.first_comment, "in_reply_to_id": status[0]},
                first_comment_key(idempotency_key),
            )
        except NetworkCallError as exc:
            # The status is out: a failed comment is reported, not raised.
            return replace(result, first_comment_error=exc.reason)
        return replace(result, first_comment_id=reply[0])

    async def recent_posts(self, account: Account, since: datetime) -> list[RecentPost]:
        """The account's own statuses (no replies, no boosts) created at or after `since`."""
        api = self._instance(account)
        (token,) = required(account.credentials, "access_token")
        found: list[RecentPost] = []
        max_id: str | None = None
        for _ in range(self._recent_pages):
            params = {
                "exclude_replies": "true",
                "exclude_reblogs": "true",
                "limit": str(STATUSES_PAGE_SIZE),
            }
            if max_id is not None:
                params["max_id"] = max_id
            response = await self._call(
                api,
                _api(account),
                "GET",
                f"api/v1/accounts/{account.external_account_id}/statuses",
                token=token,
                creates=False,
                params=params,
            )
            page = _statuses_of(response)
            found.extend(post for post in page if post.created_at >= since)
            if len(page) < STATUSES_PAGE_SIZE or min(p.created_at for p in page) < since:
                break
            max_id = page[-1].external_id
        return newest_since(found, since)

    async def _post_status(
        self,
        account: Account,
        api: MastodonApi,
        token: str,
        form: Mapping[str, Any],
        idempotency_key: str,
    ) -> tuple[str, str | None]:
        """POST /api/v1/statuses: the new (or, on a repeated key, the first) status' id and URL."""
        response = await self._call(
            api,
            _statuses(account),
            "POST",
            "api/v1/statuses",
            token=token,
            creates=True,
            idempotency_key=idempotency_key,
            data=form,
        )
        body = json_object(response)
        status_id = body.get("id")
        if not isinstance(status_id, str | int) or not str(status_id):
            # The instance said yes without saying what it made: the status may be out.
            raise OutcomeUnknown("outcome unknown: mastodon accepted the status without its id")
        url = body.get("url") or body.get("uri")
        return str(status_id), str(url) if url else None

    async def _upload(
        self, account: Account, api: MastodonApi, token: str, media: MediaFile
    ) -> str:
        """POST /api/v2/media, then wait (bounded) while the instance still processes it."""
        data = {"description": media.alt_text} if media.alt_text else {}
        response = await self._call(
            api,
            _media(account),
            "POST",
            "api/v2/media",
            token=token,
            creates=False,
            data=data,
            files={"file": (_file_name(media), media.data, media.content_type)},
        )
        body = json_object(response)
        media_id = body.get("id")
        if not isinstance(media_id, str | int) or not str(media_id):
            raise RetryLater("mastodon accepted the media without its id", kind="server_error")
        if response.status_code != 202 and body.get("url"):
            return str(media_id)
        for _ in range(self._poll_attempts):
            await asyncio.sleep(self._poll_interval)
            polled = await self._call(
                api,
                _api(account),
                "GET",
                f"api/v1/media/{media_id}",
                token=token,
                creates=False,
            )
            # 206 while processing, 200 with its `url` once done.
            if polled.status_code == 200 and json_object(polled).get("url"):
                return str(media_id)
        raise RetryLater(
            f"mastodon was still processing media {media_id} after "
            f"{self._poll_attempts} checks; nothing was posted",
            kind="server_error",
        )

    async def _call(
        self,
        api: MastodonApi,
        scopes: Sequence[str],
        method: str,
        path: str,
        *,
        token: str,
        creates: bool,
        idempotency_key: str | None = None,
        **kwargs: Any,
    ) -> httpx.Response:
        """One request in the family of `scopes` (its own window first): refused locally while
        the window is spent, its rate-limit headers recorded, a non-2xx raised as what it means.
        Only a status (`creates`) can have gone out when no answer comes back."""
        response = await call_within_limits(
            self._limits,
            self.network,
            [Limit(scope, mastodon.LIMITS) for scope in scopes],
            lambda: api.request(
                method, path, token=token, idempotency_key=idempotency_key, **kwargs
            ),
            creates=creates,
            detail=lambda answer: mastodon.detail(json_object(answer)),
            clock=self._clock,
        )
        mastodon.raise_for_answer(response, creates=creates, now=self._clock())
        return response

    def _instance(self, account: Account) -> MastodonApi:
        if not account.instance_url:
            raise Refused("the Mastodon account has no instance URL: reconnect it")
        return MastodonApi(self._http, instance_url=account.instance_url, clock=self._clock)


def first_comment_key(idempotency_key: str) -> str:
    """The first comment's own Idempotency-Key, derived so a resend dedupes it too."""
    return f"{idempotency_key}:first-comment"


def status_text(html: str) -> str:
    """A status' HTML `content` as plain text: paragraphs and line breaks kept, links as the
    full URL they display (Mastodon hides part of a long URL in invisible spans)."""
    parser = _TextOf()
    parser.feed(html)
    parser.close()
    return "".join(parser.parts).strip()


class _TextOf(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br":
            self.parts.append("\n")
        elif tag == "p" and self.parts:
            self.parts.append("\n\n")

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def _statuses_of(response: httpx.Response) -> list[RecentPost]:
    """The statuses of a page; an entry without id or date is skipped."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, list):
        raise RetryLater("mastodon answered the statuses without a list", kind="server_error")
    posts: list[RecentPost] = []
    for status in body:
        if not isinstance(status, dict):
            continue
        created = parse_timestamp(status.get("created_at"))
        status_id = status.get("id")
        if created is None or status_id is None:
            continue
        url = status.get("url") or status.get("uri")
        posts.append(
            RecentPost(
                external_id=str(status_id),
                text=status_text(str(status.get("content") or "")),
                created_at=created,
                url=str(url) if url else None,
            )
        )
    return posts


def _statuses(account: Account) -> list[str]:
    return [account_scope(account.id)]


def _media(account: Account) -> list[str]:
    return [f"{account_scope(account.id)}:media"]


def _api(account: Account) -> list[str]:
    return [f"{account_scope(account.id)}:api"]


def _with_link(text: str, link: str | None) -> str:
    """The status text with the link at its end unless the text already has it (the instance
    builds the preview card from a URL in the text)."""
    if not link or link in text:
        return text
    return f"{text} {link}" if text else link


def _file_name(media: MediaFile) -> str:
    return PurePosixPath(urlsplit(media.url).path).name or "media"
