"""The dispatcher's HTTP client: the egress guard's, with no redirects followed."""

from __future__ import annotations

import httpx

from beacon_shared.egress import EgressPolicy, Resolver, egress_client, system_resolver
from beacon_shared.webhooks.delivery import DEFAULT_TIMEOUT_SECONDS

CONNECT_TIMEOUT_SECONDS = 5.0


def webhook_client(
    egress: EgressPolicy, *, resolver: Resolver = system_resolver
) -> httpx.AsyncClient:
    """A redirect is an answer like any other: following it would POST the signed body on."""
    return egress_client(
        egress,
        timeout=httpx.Timeout(DEFAULT_TIMEOUT_SECONDS, connect=CONNECT_TIMEOUT_SECONDS),
        resolver=resolver,
    )
