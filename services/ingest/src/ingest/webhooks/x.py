"""X Account Activity webhooks: the CRC answer, signature checks and event normalisation.

A delivery names the subscribed account in `for_user_id` and carries one or more event arrays.
Mentions and replies (`tweet_create_events`), likes (`favorite_events`), follows
(`follow_events`) and received direct messages (`direct_message_events`) become interactions.
The account's own replies and the direct messages it sent are its own activity, kept apart
(`Normalised.own`), never interactions; its other activity and everything else (deletes, blocks,
typing indicators) is skipped.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

from pydantic import ValidationError

from beacon_shared.bounds import INT32_MAX, count_from_payload
from beacon_shared.contracts.common import Author, Network
from beacon_shared.contracts.ingest import InteractionKind
from ingest.interactions.interaction import Interaction
from ingest.webhooks.normalised import Normalised, OwnActivity

SIGNATURE_HEADER = "x-twitter-webhooks-signature"
Json = Mapping[str, Any]


def crc_response_token(crc_token: str, consumer_secret: str) -> str:
    """`sha256=` + base64 HMAC-SHA256 of the CRC token keyed with the app's consumer secret."""
    digest = hmac.new(consumer_secret.encode(), crc_token.encode(), hashlib.sha256).digest()
    return "sha256=" + base64.b64encode(digest).decode()


def signature_is_valid(body: bytes, header: str | None, consumer_secret: str) -> bool:
    """Whether `header` is the base64 HMAC-SHA256 of the raw body, compared in constant time."""
    if not header:
        return False
    digest = hmac.new(consumer_secret.encode(), body, hashlib.sha256).digest()
    expected = "sha256=" + base64.b64encode(digest).decode()
    return hmac.compare_digest(expected.encode(), header.strip().encode())


def normalise(payload: Json, *, now: datetime | None = None) -> Normalised:
    """Every interaction the delivery carries for its `for_user_id`, in delivery order."""
    received = now or datetime.now(UTC)
    result = Normalised()
    for_user_id = str(payload.get("for_user_id") or "")
    if not for_user_id:
        result.skip("missing_for_user_id")
        return result
    users: Json = payload.get("users") or {}
    for key, events in payload.items():
        if not isinstance(events, list) or not key.endswith("_events"):
            continue
        converter = _CONVERTERS.get(key)
        for event in events:
            if converter is None or not isinstance(event, Mapping):
                result.skip("unsupported")
                continue
            try:
                item = converter(event, for_user_id, users, received)
            except (KeyError, TypeError, ValueError, ValidationError):
                result.skip("malformed")
                continue
            if item is None:
                result.skip("not_an_interaction")
            elif isinstance(item, OwnActivity):
                result.add_own(Network.x, for_user_id, item)
            else:
                result.add(Network.x, for_user_id, item)
    return result


def _tweet(event: Json, me: str, _users: Json, now: datetime) -> Interaction | OwnActivity | None:
    user = event["user"]
    if str(user["id_str"]) == me:
        reply_to = event.get("in_reply_to_status_id_str")
        if not reply_to or "retweeted_status" in event:
            return None  # the account's own post or repost
        return OwnActivity(
            kind=InteractionKind.reply,
            external_id=str(event["id_str"]),
            parent_external_id=str(reply_to),
            # As a reply received is threaded: under the post it answers.
            thread_external_id=str(reply_to),
            text=_text(event),
            created_at=_twitter_time(event["created_at"]),
        )
    if "retweeted_status" in event:
        return _item(
            event,
            InteractionKind.share,
            f"{event['id_str']}",
            _author(user),
            "",
            _twitter_time(event["created_at"]),
            parent=event["retweeted_status"]["id_str"],
        )
    reply_to = event.get("in_reply_to_status_id_str")
    kind = InteractionKind.reply if reply_to else InteractionKind.mention
    text = _text(event)
    return _item(
        event,
        kind,
        event["id_str"],
        _author(user),
        text,
        _twitter_time(event["created_at"]),
        parent=reply_to,
        thread=reply_to or event["id_str"],
    )


def _text(event: Json) -> str:
    return str((event.get("extended_tweet") or {}).get("full_text") or event.get("text") or "")


def _favorite(event: Json, me: str, _users: Json, now: datetime) -> Interaction | None:
    user = event["user"]
    if str(user["id_str"]) == me:
        return None  # a like by the account itself
    liked = event["favorited_status"]["id_str"]
    return _item(
        event,
        InteractionKind.reaction,
        f"like:{event['id']}",
        _author(user),
        "",
        _epoch_ms(event.get("timestamp_ms"), now),
        parent=liked,
        thread=liked,
    )


def _follow(event: Json, me: str, _users: Json, now: datetime) -> Interaction | None:
    if event.get("type") != "follow" or str(event["target"]["id"]) != me:
        return None  # unfollows, and follows by the account itself
    source = event["source"]
    created = event["created_timestamp"]
    return _item(
        event,
        InteractionKind.follow,
        f"follow:{source['id']}:{created}",
        _author(source),
        "",
        _epoch_ms(created, now),
    )


def _direct_message(
    event: Json, me: str, users: Json, now: datetime
) -> Interaction | OwnActivity | None:
    if event.get("type") != "message_create":
        return None
    message = event["message_create"]
    sender = str(message["sender_id"])
    if sender == me:
        recipient = str(message["target"]["recipient_id"])
        app = message.get("source_app_id")
        return OwnActivity(
            kind=InteractionKind.direct_message,
            external_id=str(event["id"]),
            parent_external_id=None,
            thread_external_id=f"dm:{':'.join(sorted((sender, recipient)))}",
            text=message["message_data"].get("text", ""),
            created_at=_epoch_ms(event.get("created_timestamp"), now),
            recipient_external_id=recipient,
            app_id=str(app) if app is not None else None,
        )
    profile = users.get(sender) or {"id": sender}
    return _item(
        event,
        InteractionKind.direct_message,
        event["id"],
        _author(profile),
        message["message_data"].get("text", ""),
        _epoch_ms(event.get("created_timestamp"), now),
        thread=f"dm:{':'.join(sorted((sender, me)))}",
    )


_CONVERTERS = {
    "tweet_create_events": _tweet,
    "favorite_events": _favorite,
    "follow_events": _follow,
    "direct_message_events": _direct_message,
}


def _item(
    event: Json,
    kind: InteractionKind,
    external_id: str,
    author: Author,
    text: str,
    created_at: datetime,
    *,
    parent: str | None = None,
    thread: str | None = None,
) -> Interaction:
    return Interaction(
        network=Network.x,
        kind=kind,
        external_id=str(external_id),
        author=author,
        text=text,
        created_at=created_at,
        parent_external_id=parent,
        thread_external_id=thread,
        raw=dict(event),
    )


def _author(user: Json) -> Author:
    return Author(
        network_id=str(user.get("id_str") or user["id"]),
        handle=user.get("screen_name"),
        display_name=user.get("name"),
        follower_count=count_from_payload(
            user.get("followers_count"), field="followers_count", source="x", maximum=INT32_MAX
        ),
    )


def _twitter_time(value: str) -> datetime:
    """`Wed Oct 10 20:19:24 +0000 2018`, the v1.1 format, as sent (a time too far ahead is the
    one time rule's to judge, `ingest.interactions.service.FUTURE_TOLERANCE`)."""
    weekday, month, day, clock, offset, year = value.split()
    return parsedate_to_datetime(f"{weekday}, {day} {month} {year} {clock} {offset}")


def _epoch_ms(value: object, now: datetime) -> datetime:
    if value is None:
        return now
    try:
        return datetime.fromtimestamp(int(str(value)) / 1000, UTC)
    except (OverflowError, OSError) as exc:  # beyond any date: the event is malformed
        raise ValueError("timestamp out of range") from exc
