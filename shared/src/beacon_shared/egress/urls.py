"""The check a URL a tenant gives gets when it is stored: no DNS, so it cannot be slow or fooled
into trusting a name; the connection checks the resolved address again (names move)."""

from __future__ import annotations

import re

import httpx

from beacon_shared.egress.addresses import AddressRefused, judge_host
from beacon_shared.egress.policy import EgressPolicy

_HOST_NAME = re.compile(r"[a-z0-9]([a-z0-9_-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9_-]*[a-z0-9])?)*\.?")
MAX_URL_LENGTH = 2048


class UrlRefused(ValueError):
    """A URL that cannot be used; `reason` says why, for people."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def check_url(raw: str, policy: EgressPolicy) -> str:
    """The URL as it will be called, or UrlRefused saying why it cannot be."""
    if len(raw) > MAX_URL_LENGTH:
        raise UrlRefused(f"it is longer than {MAX_URL_LENGTH} characters")
    try:
        url = httpx.URL(raw.strip())
    except (httpx.InvalidURL, TypeError, ValueError) as exc:
        raise UrlRefused(str(exc) or "it does not parse") from exc
    schemes = policy.schemes
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
    try:
        literal = judge_host(url.host, policy.allowed_networks)
    except AddressRefused as exc:
        raise UrlRefused(f"the host is not on the public internet ({exc.reason})") from exc
    if literal is None and _HOST_NAME.fullmatch(url.raw_host.decode("ascii").lower()) is None:
        raise UrlRefused("the host is not a valid name")
    return str(url)


def check_base_url(raw: str, policy: EgressPolicy) -> str:
    """A service's root URL (a Mastodon instance, a Bluesky PDS): `scheme://host[:port]`, with no
    path, query or fragment, as check_url judges it."""
    url = httpx.URL(check_url(raw, policy))
    if url.path not in ("", "/") or url.query:
        raise UrlRefused("it must be the service's root URL, without a path or query")
    return str(url.copy_with(path="/")).rstrip("/")
