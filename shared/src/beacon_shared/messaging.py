"""Private replies: which networks Beacon can send one on, and Meta's messaging window.

One rule for the inbox (which refuses a reply before staging it) and ingest's action executor
(which checks again before any call, since time passes while a reply waits or is retried).

Meta (Messenger and Instagram messaging) accepts a reply within 24 hours of the person's last
message (`messaging_type=RESPONSE`), or within 7 days with `messaging_type=MESSAGE_TAG` and
`tag=HUMAN_AGENT` where the app holds the Human Agent permission, which a brand declares with
its messaging setting in the inbox. X direct messages have no such window.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from beacon_shared.contracts.common import Network

STANDARD_WINDOW = timedelta(hours=24)
HUMAN_AGENT_WINDOW = timedelta(days=7)
HUMAN_AGENT_TAG = "HUMAN_AGENT"
WINDOWED = frozenset({Network.facebook, Network.instagram})
# Why Beacon cannot send a private reply on each network without one it speaks.
NO_DM_API = {
    Network.linkedin: "LinkedIn offers no API to answer members' private messages to a page",
    Network.mastodon: "Beacon does not send Mastodon direct messages (direct-visibility statuses)",
    Network.bluesky: "Beacon does not send Bluesky chat messages (chat.bsky.convo)",
    Network.custom: "custom sources have no network Beacon can send a message on",
}


def no_dm_api(network: Network) -> str | None:
    """Why a private reply cannot be sent on `network`; None when it can."""
    return NO_DM_API.get(network)


@dataclass(frozen=True)
class Window:
    """Whether a private reply may be sent now, and how: `tag` HUMAN_AGENT when only the
    7-day window allows it; `closes_at` when the window in use closes (None: no window)."""

    open: bool
    closes_at: datetime | None
    tag: str | None = None


def reply_window(
    network: Network, last_inbound_at: datetime | None, *, human_agent: bool, now: datetime
) -> Window:
    """The window of a private reply on `network` to a person who last wrote at
    `last_inbound_at`; `human_agent` when the brand allows the HUMAN_AGENT tag."""
    if network not in WINDOWED or last_inbound_at is None:
        return Window(open=True, closes_at=None)
    standard = last_inbound_at + STANDARD_WINDOW
    if now < standard:
        return Window(open=True, closes_at=standard)
    if not human_agent:
        return Window(open=False, closes_at=standard)
    tagged = last_inbound_at + HUMAN_AGENT_WINDOW
    return Window(open=now < tagged, closes_at=tagged, tag=HUMAN_AGENT_TAG)


def window_closed(network: Network, window: Window, *, human_agent: bool) -> str:
    """What a refused reply says: when the window closed, and what would have widened it."""
    closed = window.closes_at.isoformat() if window.closes_at else "already"
    widen = (
        ""
        if human_agent
        else "; a brand whose app holds Meta's Human Agent permission can allow 7 days "
        "(its messaging setting human_agent)"
    )
    span = "7-day HUMAN_AGENT" if window.tag == HUMAN_AGENT_TAG else "24-hour"
    return (
        f"{network.value}'s {span} messaging window closed at {closed}: a reply is accepted "
        f"only within it after the person's last message{widen}"
    )
