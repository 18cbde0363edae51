"""Bluesky: posts written as records into the account's repository over XRPC, on an app-password
session.

Credentials: {"identifier": "...", "app_password": "..."}; the account's `instance_url` is its
PDS (https://bsky.social when unset) and `external_account_id` its DID.

A post's record key is a TID derived from the idempotency key alone, so sending a post again
cannot make a second record: the repository refuses the key it already holds, and that refusal
resolves to the record already there (com.atproto.repo.getRecord).

The session (sign-in, refresh) and the error mapping are `beacon_shared.networks.bluesky`'s.
Rate limits come as `ratelimit-remaining` / `ratelimit-reset` (epoch seconds), counted per
family: repository writes (the account's own scope), blob uploads, sessions and reads.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
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
    send,
)
from beacon_shared.networks import bluesky
from beacon_shared.networks.bluesky import BlueskySessions, Login, SessionSend
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
from publisher.connectors.bluesky_records import find_facets, first_comment_key, record_key
from publisher.connectors.rate_limits import (
    RateLimitBook,
    account_scope,
    utc_now,
)

POST_COLLECTION = "app.bsky.feed.post"
FEED_PAGE_SIZE = 100


class BlueskyConnector:
    """Posts app.bsky.feed.post records (images uploaded as blobs, the first comment as a reply)."""

    network: ClassVar[Network] = Network.bluesky
    # The derived record key keeps a resend from making a second post for as long as the post is
    # not deleted; a day bounds the resend of a post someone may have removed on purpose.
    idempotency_window: ClassVar[timedelta | None] = timedelta(days=1)

    def __init__(
        self,
        http: httpx.AsyncClient,
        limits: RateLimitBook,
        *,
        default_service: str = bluesky.DEFAULT_SERVICE,
        recent_pages: int = 5,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        """`default_service` is the PDS of accounts without an `instance_url`; `recent_pages`
        bounds how many pages of 100 posts `recent_posts` reads."""
        self._http = http
        self._limits = limits
        self._default_service = default_service.rstrip("/")
        self._recent_pages = recent_pages
        self._clock = clock
        self._sessions = BlueskySessions(clock=clock)

    async def publish(
        self, account: Account, content: PublishContent, idempotency_key: str
    ) -> PublishResult:
        """Upload the images, create the post under its derived record key, then the comment."""
        required(account.credentials, "identifier", "app_password")
        if any(not media.content_type.startswith("image/") for media in content.media):
            raise Refused("bluesky posts here take images only; videos are not supported")
        self._limits.ensure_free(
            self.network,
            _writes(account) + (_blobs(account) if content.media else []),
            now=self._clock(),
        )
        text = _with_link(content.text, content.link)
        record: dict[str, Any] = {
            "$type": POST_COLLECTION,
            "text": text,
            "createdAt": self._created_at(),
        }
        facets = await self._facets(account, text)
        if facets:
            record["facets"] = facets
        if content.media:
            record["embed"] = {
                "$type": "app.bsky.embed.images",
                "images": [
                    {"alt": media.alt_text or "", "image": await self._upload(account, media)}
                    for media in content.media
                ],
            }
        elif content.link:
            record["embed"] = _external(content.link)
        post = await self._create(account, record, record_key(idempotency_key))
        result = PublishResult(
            external_id=post["uri"], url=post_url(account.external_account_id, post["uri"])
        )
        if content.first_comment is None:
            return result
        try:
            reply: dict[str, Any] = {
                "$type": POST_COLLECTION,
                "text": content.first_comment,
                "createdAt": self._created_at(),
                "reply": {"root": post, "parent": post},
            }
            reply_facets = await self._facets(account, content.first_comment)
            if reply_facets:
                reply["facets"] = reply_facets
            comment = await self._create(
                account, reply, record_key(first_comment_key(idempotency_key))
            )
        except NetworkCallError as exc:
            # The post is out: a failed comment is reported, not raised.
            return replace(result, first_comment_error=exc.reason)
        return replace(result, first_comment_id=comment["uri"])

    async def recent_posts(self, account: Account, since: datetime) -> list[RecentPost]:
        """The account's own posts (no replies, no reposts) created at or after `since`, from its
        author feed (newest first by date, whatever their record keys)."""
        required(account.credentials, "identifier", "app_password")
        did = account.external_account_id
        found: list[RecentPost] = []
        cursor: str | None = None
        for _ in range(self._recent_pages):
            params = {"actor": did, "filter": "posts_no_replies", "limit": str(FEED_PAGE_SIZE)}
            if cursor is not None:
                params["cursor"] = cursor
            response = await self._authed(
                account, _reads(account), "GET", "app.bsky.feed.getAuthorFeed", params=params
            )
            self._check(response, creates=False)
            body = json_object(response)
            feed = body.get("feed")
            if not isinstance(feed, list):
                raise RetryLater("bluesky answered the feed without a list", kind="server_error")
            page = [post for item in feed if (post := _own_post(item, did)) is not None]
            found.extend(post for post in page if post.created_at >= since)
            next_cursor = body.get("cursor")
            if (
                not feed
                or not isinstance(next_cursor, str)
                or any(post.created_at < since for post in page)
            ):
                break
            cursor = next_cursor
        return newest_since(found, since)

    async def _create(
        self, account: Account, record: Mapping[str, Any], rkey: str
    ) -> dict[str, str]:
        """createRecord under `rkey`: the record's strong ref (uri and cid). A key the
        repository already holds is this post sent before: its record is the answer."""
        body = {
            "repo": account.external_account_id,
            "collection": POST_COLLECTION,
            "rkey": rkey,
            "record": record,
        }
        response = await self._authed(
            account,
            _writes(account),
            "POST",
            "com.atproto.repo.createRecord",
            creates=True,
            json=body,
        )
        if _may_exist(response):
            existing = await self._existing(account, rkey)
            if existing is not None:
                return existing
        self._check(response, creates=True)
        answer = json_object(response)
        uri, cid = answer.get("uri"), answer.get("cid")
        if not isinstance(uri, str) or not isinstance(cid, str):
            # The PDS said yes without naming the record: it may be there.
            raise OutcomeUnknown("outcome unknown: bluesky created the record without its uri")
        return {"uri": uri, "cid": cid}

    async def _existing(self, account: Account, rkey: str) -> dict[str, str] | None:
        """The strong ref of the account's post under `rkey`, or None when there is none."""
        response = await self._authed(
            account,
            _reads(account),
            "GET",
            "com.atproto.repo.getRecord",
            params={
                "repo": account.external_account_id,
                "collection": POST_COLLECTION,
                "rkey": rkey,
            },
        )
        if response.status_code in (400, 404) and bluesky.xrpc_error(response) in (
            "RecordNotFound",
            "NotFound",
        ):
            return None
        self._check(response, creates=False)
        body = json_object(response)
        uri, cid = body.get("uri"), body.get("cid")
        if not isinstance(uri, str) or not isinstance(cid, str):
            return None
        return {"uri": uri, "cid": cid}

    async def _upload(self, account: Account, media: MediaFile) -> Mapping[str, Any]:
        """uploadBlob: the blob reference an image embed names."""
        response = await self._authed(
            account,
            _blobs(account),
            "POST",
            "com.atproto.repo.uploadBlob",
            content=media.data,
            headers={"Content-Type": media.content_type},
        )
        self._check(response, creates=False)
        blob = json_object(response).get("blob")
        if not isinstance(blob, dict):
            raise RetryLater(
                "bluesky stored the image without a blob reference", kind="server_error"
            )
        return blob

    async def _facets(self, account: Account, text: str) -> list[dict[str, Any]]:
        """The text's link and mention facets; a mention whose handle does not resolve stays
        plain text."""
        facets: list[dict[str, Any]] = []
        dids: dict[str, str | None] = {}
        for facet in find_facets(text):
            index = {"byteStart": facet.byte_start, "byteEnd": facet.byte_end}
            if facet.uri is not None:
                feature = {"$type": "app.bsky.richtext.facet#link", "uri": facet.uri}
            else:
                assert facet.handle is not None
                handle = facet.handle.lower()
                if handle not in dids:
                    dids[handle] = await self._resolve(account, handle)
                did = dids[handle]
                if did is None:
                    continue
                feature = {"$type": "app.bsky.richtext.facet#mention", "did": did}
            facets.append({"index": index, "features": [feature]})
        return facets

    async def _resolve(self, account: Account, handle: str) -> str | None:
        response = await self._authed(
            account,
            _reads(account),
            "GET",
            "com.atproto.identity.resolveHandle",
            params={"handle": handle},
        )
        if 400 <= response.status_code < 500 and response.status_code != 429:
            return None
        self._check(response, creates=False)
        did = json_object(response).get("did")
        return did if isinstance(did, str) and did.startswith("did:") else None

    async def _authed(
        self,
        account: Account,
        scopes: Sequence[str],
        method: str,
        nsid: str,
        *,
        creates: bool = False,
        headers: Mapping[str, str] | None = None,
        **kwargs: Any,
    ) -> httpx.Response:
        """`nsid` on the account's session, renewed once when the PDS says it expired; the answer
        as it came (see `_check`), a 429 raised."""
        login = Login.of(account.credentials, service=self._service(account))
        return await self._sessions.call(
            login,
            lambda auth: self._send(
                scopes,
                method,
                login.xrpc(nsid),
                creates=creates,
                headers={**(headers or {}), **auth},
                **kwargs,
            ),
            send=self._session_send(account),
        )

    def _session_send(self, account: Account) -> SessionSend:
        """Session calls in the account's sessions family of the rate-limit book."""

        def session_send(
            method: str, url: str, *, headers: Mapping[str, str], json: Mapping[str, Any] | None
        ) -> Awaitable[httpx.Response]:
            return self._send(
                _sessions(account), method, url, creates=False, headers=headers, json=json
            )

        return session_send

    async def _send(
        self, scopes: Sequence[str], method: str, url: str, *, creates: bool, **kwargs: Any
    ) -> httpx.Response:
        """One request in the family of `scopes` (its own window first): refused locally while
        the window is spent, its rate-limit headers recorded, a 429 raised. Only a record
        (`creates`) can have been made when no answer comes back."""
        return await call_within_limits(
            self._limits,
            self.network,
            [Limit(scope, bluesky.LIMITS) for scope in scopes],
            lambda: send(self._http, method, url, **kwargs),
            creates=creates,
            detail=bluesky.detail,
            clock=self._clock,
        )

    def _check(self, response: httpx.Response, *, creates: bool) -> None:
        bluesky.raise_for_answer(response, creates=creates, now=self._clock())

    def _service(self, account: Account) -> str:
        return (account.instance_url or self._default_service).rstrip("/")

    def _created_at(self) -> str:
        return self._clock().astimezone(UTC).isoformat().replace("+00:00", "Z")


def post_url(did: str, uri: str) -> str:
    """The post's page on bsky.app, by the author's DID (a handle can change, a DID cannot)."""
    return f"https://bsky.app/profile/{did}/post/{uri.rsplit('/', 1)[-1]}"


def _own_post(item: object, did: str) -> RecentPost | None:
    """A feed item as a post of the account; None for reposts, others' posts and malformed ones."""
    if not isinstance(item, dict) or item.get("reason") is not None:
        return None
    post = item.get("post")
    if not isinstance(post, dict):
        return None
    author = post.get("author")
    record = post.get("record")
    uri = post.get("uri")
    if not isinstance(author, dict) or author.get("did") != did:
        return None
    if not isinstance(record, dict) or not isinstance(uri, str):
        return None
    created = parse_timestamp(record.get("createdAt")) or parse_timestamp(post.get("indexedAt"))
    if created is None:
        return None
    return RecentPost(
        external_id=uri,
        text=str(record.get("text") or ""),
        created_at=created,
        url=post_url(did, uri),
    )


def _may_exist(response: httpx.Response) -> bool:
    """A createRecord refusal that can mean the record key is taken: PDSes answer a 500 (or,
    newer ones, a 400 RecordAlreadyExists) when the key already holds a record."""
    if response.status_code == 500:
        return True
    if response.status_code != 400:
        return False
    message = f"{bluesky.xrpc_error(response)} {json_object(response).get('message') or ''}".lower()
    return "alreadyexists" in message or "already exists" in message


def _external(link: str) -> dict[str, Any]:
    """A link card with what is known without fetching the page: its address and host."""
    return {
        "$type": "app.bsky.embed.external",
        "external": {"uri": link, "title": urlsplit(link).hostname or link, "description": ""},
    }


def _with_link(text: str, link: str | None) -> str:
    if not link or link in text:
        return text
    return f"{text} {link}" if text else link


def _writes(account: Account) -> list[str]:
    return [account_scope(account.id)]


def _blobs(account: Account) -> list[str]:
    return [f"{account_scope(account.id)}:blobs"]


def _sessions(account: Account) -> list[str]:
    return [f"{account_scope(account.id)}:sessions"]


def _reads(account: Account) -> list[str]:
    return [f"{account_scope(account.id)}:reads"]
