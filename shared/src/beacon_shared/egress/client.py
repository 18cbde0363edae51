"""The one HTTP client for calls made on a tenant's behalf."""

from __future__ import annotations

from http.cookiejar import CookieJar, DefaultCookiePolicy

import httpx

from beacon_shared.egress.addresses import Resolver, system_resolver
from beacon_shared.egress.policy import EgressPolicy
from beacon_shared.egress.transport import EgressTransport

MAX_REDIRECTS = 5


def egress_client(
    policy: EgressPolicy,
    *,
    timeout: httpx.Timeout | float,
    follow_redirects: bool = False,
    max_connections: int = 100,
    resolver: Resolver = system_resolver,
) -> httpx.AsyncClient:
    """A client whose every request, and every redirect hop, goes through the egress guard.

    No proxy from the environment (a proxy would connect to whatever name it is given), no
    HTTP/2, no cookies kept: a cookie one tenant's server sets must never ride along to another's.
    Redirects, when followed, are checked hop by hop; httpx drops `Authorization` when one leaves
    the origin, so a token is never handed to another host.
    """
    inner = httpx.AsyncHTTPTransport(retries=0, trust_env=False, http2=False)
    no_cookies = CookieJar(policy=DefaultCookiePolicy(allowed_domains=[]))
    return httpx.AsyncClient(
        transport=EgressTransport(inner, policy, resolver=resolver),
        cookies=no_cookies,
        trust_env=False,
        follow_redirects=follow_redirects,
        max_redirects=MAX_REDIRECTS,
        timeout=timeout,
        limits=httpx.Limits(
            max_connections=max_connections, max_keepalive_connections=min(20, max_connections)
        ),
    )
