"""Which URLs a webhook endpoint may have: https on a public host (see publisher.public_urls)."""

from __future__ import annotations

from publisher.public_urls import UrlRefused, check_public_url
from publisher.webhooks.exceptions import InvalidEndpointUrl


def check_url(raw: str, *, allow_private: bool) -> str:
    """The URL as it will be called, or InvalidEndpointUrl saying why it cannot be used."""
    try:
        return check_public_url(raw, allow_private=allow_private)
    except UrlRefused as exc:
        message = exc.reason
        if message == "credentials in the URL are not accepted":
            message += "; verify signatures"
        raise InvalidEndpointUrl(raw, message) from exc
