"""What a Bluesky post record holds that is worked out without asking the network: its record
key (a TID derived from the idempotency key, so a resend finds the record) and its rich-text
facets at UTF-8 byte offsets."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

# TIDs: base32-sortable, a 64-bit integer of 53 bits of microseconds since the epoch and a
# 10-bit clock id (https://atproto.com/specs/tid).
_TID_ALPHABET = "234567abcdefghijklmnopqrstuvwxyz"
# Derived keys keep their timestamp within about 400 days from 2023-01-01: always in the past,
# never the far future a plain hash would often give.
_TID_BASE_MICROS = 1_672_531_200_000_000
_TID_SPAN_BITS = 45


_URL = re.compile(r"https?://[^\s<>\"']+")
# A handle after an `@` that does not follow a word character (atproto handle syntax).
_MENTION = re.compile(
    r"(?<![\w@/])@((?:[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?\.)+"
    r"[a-zA-Z](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)"
)
_TRAILING = ".,;:!?)]}"


def record_key(idempotency_key: str) -> str:
    """A valid TID that depends only on `idempotency_key`: the post's record key."""
    digest = int.from_bytes(hashlib.sha256(idempotency_key.encode()).digest()[:8], "big")
    micros = _TID_BASE_MICROS + (digest >> 10) % (1 << _TID_SPAN_BITS)
    value = (micros << 10) | (digest & 0x3FF)
    return "".join(_TID_ALPHABET[(value >> (5 * i)) & 31] for i in reversed(range(13)))


def first_comment_key(idempotency_key: str) -> str:
    """The idempotency key of the post's first comment (its record key derives from it)."""
    return f"{idempotency_key}:first-comment"


@dataclass(frozen=True)
class Facet:
    """A link or mention at UTF-8 byte offsets of the text, before its DID is known."""

    byte_start: int
    byte_end: int
    uri: str | None = None
    handle: str | None = None


def find_facets(text: str) -> list[Facet]:
    """Links and @handle mentions in `text`, at UTF-8 byte offsets as app.bsky.richtext.facet
    counts them; a mention inside a link is part of the link."""
    facets: list[Facet] = []
    spans: list[tuple[int, int]] = []
    for match in _URL.finditer(text):
        url = _trimmed(match.group(0))
        start, end = match.start(), match.start() + len(url)
        spans.append((start, end))
        facets.append(Facet(_byte(text, start), _byte(text, end), uri=url))
    for match in _MENTION.finditer(text):
        start, end = match.start(), match.end()
        if any(s <= start < e for s, e in spans):
            continue
        facets.append(Facet(_byte(text, start), _byte(text, end), handle=match.group(1)))
    return sorted(facets, key=lambda facet: facet.byte_start)


def _trimmed(url: str) -> str:
    """A URL without the punctuation that ends the sentence around it (a closing parenthesis
    stays when the URL opened one)."""
    while url and url[-1] in _TRAILING:
        if url[-1] == ")" and url.count("(") >= url.count(")"):
            break
        url = url[:-1]
    return url


def _byte(text: str, index: int) -> int:
    return len(text[:index].encode("utf-8"))
