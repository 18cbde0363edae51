"""Which URLs the publisher calls on a tenant's say (webhook endpoints, Mastodon instances,
Bluesky PDSes): https on a public host.

These checks need no DNS; callers that connect resolve the host again and refuse it then if any
address it has is not public (a name can change where it points after it was saved).
"""

from __future__ import annotations

import re

import httpx

from publisher.media.addresses import non_public_reason, parse_literal, refused_name_reason

_HOST_NAME = re.compile(r"[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*\.?")


class UrlRefused(ValueError):
    """A URL that cannot be used; `reason` says why, for people."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def check_public_url(raw: str, *, allow_private: bool) -> str:
    """The URL as it will be called, or UrlRefused.

    `allow_private` (tests, local development) also accepts plain http and local hosts.
    """
    try:
        url = httpx.URL(raw.strip())
    except (httpx.InvalidURL, TypeError, ValueError) as exc:
        raise UrlRefused(str(exc) or "it does not parse") from exc
    schemes = ("https", "http") if allow_private else ("https",)
    if url.scheme not in schemes:
        raise UrlRefused(f"the scheme must be {' or '.join(schemes)}")
    if not url.host:
        raise UrlRefused("it has no host")
    if url.userinfo:
        raise UrlRefused("credentials in the URL are not accepted")
    if url.fragment:
        raise UrlRefused("a fragment is never sent; leave it out")
    if url.port is not None and not 0 < url.port < 65536:
        raise UrlRefused("the port is out of range")
    literal = parse_literal(url.host)
    if literal is None and _HOST_NAME.fullmatch(url.raw_host.decode("ascii").lower()) is None:
        raise UrlRefused("the host is not a valid name")
    if not allow_private:
        reason = non_public_reason(literal) if literal else refused_name_reason(url.host)
        if reason is not None:
            raise UrlRefused(f"the host is not on the public internet ({reason})")
    return str(url)
