"""Which URLs a webhook endpoint may have: https on a public host (the egress guard's check)."""

from __future__ import annotations

from beacon_shared import egress as guard
from beacon_shared.egress import EgressPolicy, UrlRefused
from beacon_shared.webhooks.exceptions import InvalidEndpointUrl


def check_url(raw: str, *, egress: EgressPolicy) -> str:
    """The URL as it will be called, or InvalidEndpointUrl saying why it cannot be used."""
    try:
        return guard.check_url(raw, egress)
    except UrlRefused as exc:
        message = exc.reason
        if message == "credentials in the URL are not accepted":
            message += "; verify signatures"
        raise InvalidEndpointUrl(raw, message) from exc
