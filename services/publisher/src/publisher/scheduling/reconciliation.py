"""Finding a post whose outcome was unknown among the account's recent posts."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

from publisher.connectors.base import RecentPost

_URL = re.compile(r"https?://\S+")
_SPACE = re.compile(r"\s+")
# Networks shorten, re-encode or drop links and trailing whitespace; the words remain.
_PREFIX = 120


def _key(text: str) -> str:
    plain = _URL.sub(" ", unicodedata.normalize("NFC", text))
    return _SPACE.sub(" ", plain).strip().casefold()[:_PREFIX]


def find_published(text: str, recent: Sequence[RecentPost]) -> RecentPost | None:
    """The recent post carrying this text (links aside), if any; the oldest such post when
    several match, the one the lost call made."""
    wanted = _key(text)
    if not wanted:
        return None
    matches = [post for post in recent if _key(post.text) == wanted]
    return min(matches, key=lambda p: p.created_at) if matches else None
