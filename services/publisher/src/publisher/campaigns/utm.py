"""UTM tagging of links, so analytics can attribute a click to its campaign and network.

Tagging touches only the query: the scheme, host (IDNs stay as written), port, path and fragment,
and every other query parameter, are kept byte for byte, percent-encoding included. Tagging is
idempotent: a tagged link tagged again with the same values is unchanged.
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import quote, unquote_plus

# The order parameters are appended in, when a link does not carry them yet.
UTM_KEYS = ("utm_source", "utm_medium", "utm_campaign", "utm_content", "utm_term")

# A candidate link in free text: http(s):// then up to whitespace or a character that never
# appears unescaped in a link as people paste them: ASCII quotes and angle brackets, typographic
# quotes, "…", and CJK and full-width punctuation (CJK text often has no space around a link).
# Not preceded by an ASCII letter or digit, so "xhttps://" is no link.
_ENDS_LINK = (
    r"\s<>\"`"
    "\u2018\u2019\u201c\u201d\u00ab\u00bb\u2026"  # curly quotes, guillemets, ellipsis
    "\u3000-\u303f"  # CJK symbols and punctuation: ideographic comma, full stop, brackets, space
    "\uff01\uff08\uff09\uff0c\uff1a\uff1b\uff1f"  # full-width ! ( ) , : ; ?
)
_CANDIDATE = re.compile(rf"(?<![A-Za-z0-9])https?://[^{_ENDS_LINK}]+", re.IGNORECASE)
# Punctuation that ends a sentence rather than a link ("see https://x.com/a.").
_TRAILING = frozenset(".,;:!?'\"*")
_BRACKETS = {")": "(", "]": "[", "}": "{"}
# No other punctuation ends a link either: these categories cover the rest of Unicode's.
_UNICODE_PUNCTUATION = frozenset({"Po", "Pe", "Pf", "Pi", "Ps"})


class NotAWebLink(ValueError):
    """The string is not an absolute http(s) URL with a host."""


def tag_link(
    url: str,
    *,
    source: str,
    medium: str,
    campaign: str,
    content: str | None = None,
    term: str | None = None,
) -> str:
    """`url` with utm_source, utm_medium, utm_campaign (and utm_content, utm_term) set.

    A UTM parameter the link already has is replaced where it stands (its duplicates dropped);
    missing ones are appended. utm_content and utm_term are left as the link has them unless given,
    since they tell apart links within one post. Raises NotAWebLink for anything but http(s).
    """
    if not _is_web_link(url):
        raise NotAWebLink(f"not an absolute http(s) URL: {url!r}")
    values = {
        key: value
        for key, value in zip(UTM_KEYS, (source, medium, campaign, content, term), strict=True)
        if value is not None
    }
    before_fragment, hash_mark, fragment = url.partition("#")
    base, _, query = before_fragment.partition("?")
    pairs: list[str] = []
    written: set[str] = set()
    # Split on "&" only: each other parameter is kept exactly as written.
    for pair in query.split("&"):
        if not pair:
            continue
        key = _utm_key(pair)
        if key is None or key not in values:
            pairs.append(pair)
        elif key not in written:
            pairs.append(_pair(key, values[key]))
            written.add(key)
    pairs.extend(_pair(key, value) for key, value in values.items() if key not in written)
    return f"{base}?{'&'.join(pairs)}{hash_mark}{fragment}"


def tag_links_in_text(
    text: str,
    *,
    source: str,
    medium: str,
    campaign: str,
    content: str | None = None,
    term: str | None = None,
) -> str:
    """`text` with every http(s) link in it tagged as `tag_link` does; all else is unchanged."""
    out: list[str] = []
    last = 0
    for start, end in find_links(text):
        out.append(text[last:start])
        out.append(
            tag_link(
                text[start:end],
                source=source,
                medium=medium,
                campaign=campaign,
                content=content,
                term=term,
            )
        )
        last = end
    out.append(text[last:])
    return "".join(out)


def find_links(text: str) -> list[tuple[int, int]]:
    """The (start, end) offsets of the http(s) links in `text`, trailing punctuation left out.

    A closing bracket ends the link unless the link opened it, so both "(see https://x.com/a)"
    and "https://en.wikipedia.org/wiki/Mercury_(planet)" come out right.
    """
    spans: list[tuple[int, int]] = []
    for match in _CANDIDATE.finditer(text):
        start, end = match.span()
        while end > start and _trims(text[start:end]):
            end -= 1
        if _is_web_link(text[start:end]):
            spans.append((start, end))
    return spans


def _trims(link: str) -> bool:
    last = link[-1]
    if last in _TRAILING:
        return True
    if last in _BRACKETS:
        return link.count(last) > link.count(_BRACKETS[last])
    return not last.isascii() and unicodedata.category(last) in _UNICODE_PUNCTUATION


def _is_web_link(url: str) -> bool:
    scheme, sep, rest = url.partition("://")
    if not sep or scheme.lower() not in ("http", "https"):
        return False
    authority = re.split(r"[/?#]", rest, maxsplit=1)[0]
    host = authority.rpartition("@")[2]
    return bool(host) and not any(c.isspace() for c in url)


def _utm_key(pair: str) -> str | None:
    """The UTM key a `key=value` pair sets, matched case-insensitively and decoded, if any."""
    name = unquote_plus(pair.partition("=")[0]).lower()
    return name if name in UTM_KEYS else None


def _pair(key: str, value: str) -> str:
    encoded = quote(value, safe="")
    # A final "." would read as the end of a sentence when the link stands at the end of a text,
    # and be cut off by the next tagging; the escaped form means the same to analytics.
    if encoded.endswith("."):
        encoded = f"{encoded[:-1]}%2E"
    return f"{key}={encoded}"
