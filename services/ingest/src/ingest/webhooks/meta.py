"""Meta webhooks (Facebook Pages, Instagram, Messenger): verification and normalisation.

A delivery is `{"object": "page" | "instagram", "entry": [...]}`. Each entry names the Page or
Instagram professional account in `id` and carries `changes` (`{"field", "value"}`) and/or
`messaging` events; every supported change or event becomes its own interaction:

- Page `feed`, verb `add`: `comment` (a `reply` when `parent_id` is not the post), `reaction`
  and `share`. Edits, removals, hides, new posts (`status`, `photo`, ...) are unsupported.
- Instagram `comments` / `live_comments`: `comment`, or `reply` when `parent_id` is set;
  `mentions`: `mention` (the payload names neither author nor text, so the author is `unknown`).
- `messages` (in `messaging`, or as an Instagram change): `direct_message`, filed under the
  recipient (the Page or account). Deliveries, reads, postbacks and reactions to messages are
  skipped.

The account's own comments and replies (`feed` or `comments` from the account itself) and the
echoes of its messages (`is_echo`: sent natively, or through Beacon) are its own activity: kept
apart (`Normalised.own`), never interactions; its other activity (reactions, shares) is skipped
as `own_activity`. Meta sends epoch seconds
(`created_time`, `entry.time`) and milliseconds (`timestamp`); both are read as sent (a time too
far ahead is the one time rule's to judge, `ingest.interactions.service.FUTURE_TOLERANCE`).
"""

from __future__ import annotations

import hashlib
import hmac
import math
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

from pydantic import ValidationError

from beacon_shared.bounds import LATEST
from beacon_shared.contracts.common import Author, Network
from beacon_shared.contracts.ingest import InteractionKind
from ingest.interactions.interaction import Interaction
from ingest.webhooks.normalised import Normalised, OwnActivity

SIGNATURE_HEADER = "x-hub-signature-256"
UNKNOWN_AUTHOR = "unknown"
# Above this an epoch value can only be milliseconds (1e11 seconds is the year 5138).
_MILLISECONDS_FROM = 1e11
# The last instant an interaction may carry (beacon_shared.bounds): anything later is read as it.
_LAST = LATEST - timedelta(microseconds=1)
_NETWORKS = {"page": Network.facebook, "instagram": Network.instagram}
Json = Mapping[str, Any]
# An interaction and the (network, account id) it was delivered for.
Filed = tuple[Network, str, Interaction]


def signature_is_valid(body: bytes, header: str | None, app_secret: str) -> bool:
    """Whether `header` is `sha256=` + the hex HMAC-SHA256 of the raw body, in constant time."""
    if not header:
        return False
    expected = "sha256=" + hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected.encode(), header.strip().lower().encode())


def verify_token_matches(given: str | None, expected: str) -> bool:
    """Whether the handshake's `hub.verify_token` is ours, in constant time."""
    return given is not None and hmac.compare_digest(given.encode(), expected.encode())


class Own(Exception):
    """A change or event that is the account's own comment, reply or message."""

    def __init__(self, account_id: str, activity: OwnActivity) -> None:
        super().__init__("own activity")
        self.account_id = account_id
        self.activity = activity


class Skipped(Exception):
    """A change or event that is deliberately not an interaction, with the reason counted."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def normalise(payload: object, *, now: datetime | None = None) -> Normalised:
    """Every interaction of a delivery, in delivery order; nothing valid is lost to a bad part."""
    received = now or datetime.now(UTC)
    result = Normalised()
    if not isinstance(payload, Mapping) or not isinstance(payload.get("entry"), list):
        result.skipped["malformed"] += 1
        return result
    network = _NETWORKS.get(str(payload.get("object")))
    for entry in payload["entry"]:
        if not isinstance(entry, Mapping) or not entry.get("id"):
            result.skipped["malformed"] += 1
        elif network is None:
            result.skipped["unsupported"] += 1
        else:
            _entry(entry, network, received, result)
    return result


def _entry(entry: Json, network: Network, now: datetime, result: Normalised) -> None:
    account_id = str(entry["id"])
    entry_time = entry.get("time")
    if not isinstance(entry.get("changes"), list) and not isinstance(entry.get("messaging"), list):
        result.skipped["unsupported"] += 1  # e.g. `standby` events of the handover protocol
    for change in _list(entry.get("changes")):
        _convert(result, partial(_change, change, network, account_id, entry_time, now), network)
    for event in _list(entry.get("messaging")):
        _convert(result, partial(_messaging, event, network, now), network)


def _convert(result: Normalised, convert: Callable[[], Filed], network: Network) -> None:
    try:
        result.add(*convert())
    except Own as own:
        result.add_own(network, own.account_id, own.activity)
    except Skipped as skipped:
        result.skipped[skipped.reason] += 1
    except (KeyError, TypeError, ValueError, OverflowError, ValidationError):
        result.skipped["malformed"] += 1


def _change(
    change: Json, network: Network, account_id: str, entry_time: object, now: datetime
) -> Filed:
    if not isinstance(change, Mapping) or not isinstance(change.get("value"), Mapping):
        raise TypeError("a change is an object with an object value")
    value = change["value"]
    name = change.get("field")
    if network is Network.facebook and name == "feed":
        item = _page_feed(value, account_id, now)
    elif network is Network.instagram and name in ("comments", "live_comments"):
        item = _instagram_comment(value, account_id, _epoch(entry_time, now))
    elif network is Network.instagram and name == "mentions":
        item = _instagram_mention(value, _epoch(entry_time, now))
    elif name == "messages":
        # Instagram can deliver a messaging event as a change; it is filed under its recipient.
        account_id, item = _message(value, network, now)
    else:
        raise Skipped("unsupported")
    return network, account_id, item.model_copy(update={"raw": dict(change)})


def _messaging(event: Json, network: Network, now: datetime) -> Filed:
    if not isinstance(event, Mapping):
        raise TypeError("a messaging event is an object")
    account_id, item = _message(event, network, now)
    return network, account_id, item.model_copy(update={"raw": dict(event)})


def _page_feed(value: Json, page_id: str, now: datetime) -> Interaction:
    if value.get("verb") != "add":
        raise Skipped("unsupported")  # edited, remove, hide, unhide: not a new interaction
    kind = value.get("item")
    if kind not in ("comment", "reaction", "share"):
        raise Skipped("unsupported")
    author = _author(value.get("from"), name_key="name")
    post_id = str(value["post_id"])
    created_at = _epoch(value.get("created_time"), now)
    if author.network_id == page_id:
        if kind != "comment":
            raise Skipped("own_activity")
        parent = str(value.get("parent_id") or post_id)
        raise Own(
            page_id,
            OwnActivity(
                kind=InteractionKind.reply if parent != post_id else InteractionKind.comment,
                external_id=str(value["comment_id"]),
                parent_external_id=parent,
                thread_external_id=post_id,
                text=value.get("message") or "",
                created_at=created_at,
            ),
        )
    if kind == "comment":
        parent = str(value.get("parent_id") or post_id)
        return Interaction(
            network=Network.facebook,
            kind=InteractionKind.reply if parent != post_id else InteractionKind.comment,
            external_id=str(value["comment_id"]),
            parent_external_id=parent,
            thread_external_id=post_id,
            author=author,
            text=value.get("message") or "",
            created_at=created_at,
        )
    if kind == "reaction":
        # Reactions have no id of their own: one per person and target (a post or a comment).
        target = str(value.get("comment_id") or post_id)
        return Interaction(
            network=Network.facebook,
            kind=InteractionKind.reaction,
            external_id=f"reaction:{target}:{author.network_id}",
            parent_external_id=target,
            thread_external_id=post_id,
            author=author,
            created_at=created_at,
        )
    return Interaction(
        network=Network.facebook,
        kind=InteractionKind.share,
        external_id=str(value.get("share_id") or post_id),
        parent_external_id=post_id,
        thread_external_id=post_id,
        author=author,
        text=value.get("message") or "",
        created_at=created_at,
    )


def _instagram_comment(value: Json, account_id: str, created_at: datetime) -> Interaction:
    author = _author(value.get("from"), handle_key="username")
    media_id = str(value["media"]["id"])
    parent = value.get("parent_id")
    if author.network_id == account_id:
        raise Own(
            account_id,
            OwnActivity(
                kind=InteractionKind.reply if parent else InteractionKind.comment,
                external_id=str(value["id"]),
                parent_external_id=str(parent or media_id),
                thread_external_id=media_id,
                text=value.get("text") or "",
                created_at=created_at,
            ),
        )
    return Interaction(
        network=Network.instagram,
        kind=InteractionKind.reply if parent else InteractionKind.comment,
        external_id=str(value["id"]),
        parent_external_id=str(parent or media_id),
        thread_external_id=media_id,
        author=author,
        text=value.get("text") or "",
        created_at=created_at,
    )


def _instagram_mention(value: Json, created_at: datetime) -> Interaction:
    # In a comment (`comment_id`) or in a media's caption (only `media_id`).
    media_id = str(value["media_id"])
    comment_id = value.get("comment_id")
    return Interaction(
        network=Network.instagram,
        kind=InteractionKind.mention,
        external_id=str(comment_id or media_id),
        parent_external_id=media_id if comment_id else None,
        thread_external_id=media_id,
        author=Author(network_id=UNKNOWN_AUTHOR),
        created_at=created_at,
    )


def _message(event: Json, network: Network, now: datetime) -> tuple[str, Interaction]:
    message = event.get("message")
    if not isinstance(message, Mapping):
        raise Skipped("unsupported")  # deliveries, reads, postbacks, reactions, referrals
    if message.get("is_deleted") or message.get("is_unsupported"):
        raise Skipped("unsupported")
    sender = str(event["sender"]["id"])
    recipient = str(event["recipient"]["id"])
    reply_to = message.get("reply_to")
    if message.get("is_echo"):
        # Sent by the account (the sender) to the person: their conversation's thread.
        app_id = message.get("app_id")
        raise Own(
            sender,
            OwnActivity(
                kind=InteractionKind.direct_message,
                external_id=str(message["mid"]),
                parent_external_id=reply_to.get("mid") if isinstance(reply_to, Mapping) else None,
                thread_external_id=f"dm:{sender}:{recipient}",
                text=message.get("text") or "",
                created_at=_epoch(event.get("timestamp"), now),
                recipient_external_id=recipient,
                app_id=str(app_id) if app_id is not None else None,
            ),
        )
    item = Interaction(
        network=network,
        kind=InteractionKind.direct_message,
        external_id=str(message["mid"]),
        parent_external_id=reply_to.get("mid") if isinstance(reply_to, Mapping) else None,
        # The payload has no conversation id; one person's conversation with one account is.
        thread_external_id=f"dm:{recipient}:{sender}",
        author=Author(network_id=sender),
        text=message.get("text") or "",
        created_at=_epoch(event.get("timestamp"), now),
    )
    return recipient, item


def _author(sender: object, *, name_key: str = "", handle_key: str = "") -> Author:
    """The `from` object; Meta leaves it out when the person's profile is not shared."""
    if sender is None:
        return Author(network_id=UNKNOWN_AUTHOR)
    if not isinstance(sender, Mapping):
        raise TypeError("from is not an object")
    return Author(
        network_id=str(sender["id"]),
        display_name=sender.get(name_key) if name_key else None,
        handle=sender.get(handle_key) if handle_key else None,
    )


def _epoch(value: object, now: datetime) -> datetime:
    """Epoch seconds or milliseconds (numbers or numeric strings); `now` when absent. A time past
    the last one an interaction may carry is read as that one (the time rule stores it at
    receipt)."""
    if value is None:
        return now
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise TypeError("not a timestamp")
    if isinstance(value, str) and not value.strip().lstrip("-").replace(".", "", 1).isdigit():
        # Older Graph API versions sent ISO 8601 (`2026-11-24T10:00:00+0000`).
        parsed = datetime.fromisoformat(value)
        return min(parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC), _LAST)
    number = float(value)
    if not math.isfinite(number):
        raise ValueError("not a timestamp")
    if number >= _MILLISECONDS_FROM:
        number /= 1000
    if number >= _LAST.timestamp():
        return _LAST
    return datetime.fromtimestamp(number, UTC)


def _list(value: object) -> list[Json]:
    # A non-object in the list fails in the converter and is counted as malformed there.
    return value if isinstance(value, list) else []
