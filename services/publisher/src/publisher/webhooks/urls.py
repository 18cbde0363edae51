"""Which URLs a webhook endpoint may have: https on a public host.

These checks run when an endpoint is saved and need no DNS; the dispatcher resolves the host at
every attempt and refuses it then if any address it has is not public (a name can change where
it points after it was saved).
"""

from __future__ import annotations

import re

import httpx

from publisher.media.addresses import non_public_reason, parse_literal, refused_name_reason
from publisher.webhooks.exceptions import InvalidEndpointUrl

_HOST_NAME = re.compile(r"[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*\.?")


def check_url(raw: str, *, allow_private: bool) -> str:
    """The URL as it will be called, or InvalidEndpointUrl saying why it cannot be used.

    `allow_private` (tests, local development) also accepts plain http and local hosts.
    """
    try:
        url = httpx.URL(raw.strip())
    except (httpx.InvalidURL, TypeError, ValueError) as exc:
        raise InvalidEndpointUrl(raw, str(exc) or "it does not parse") from exc
    schemes = ("https", "http") if allow_private else ("https",)
    if url.scheme not in schemes:
        raise InvalidEndpointUrl(raw, f"the scheme must be {' or '.join(schemes)}")
    if not url.host:
        raise InvalidEndpointUrl(raw, "it has no host")
    if url.userinfo:
        raise InvalidEndpointUrl(raw, "credentials in the URL are not accepted; verify signatures")
    if url.fragment:
        raise InvalidEndpointUrl(raw, "a fragment is never sent; leave it out")
    if url.port is not None and not 0 < url.port < 65536:
        raise InvalidEndpointUrl(raw, "the port is out of range")
    literal = parse_literal(url.host)
    if literal is None and _HOST_NAME.fullmatch(url.raw_host.decode("ascii").lower()) is None:
        raise InvalidEndpointUrl(raw, "the host is not a valid name")
    if not allow_private:
        reason = non_public_reason(literal) if literal else refused_name_reason(url.host)
        if reason is not None:
            raise InvalidEndpointUrl(raw, f"the host is not on the public internet ({reason})")
    return str(url)
