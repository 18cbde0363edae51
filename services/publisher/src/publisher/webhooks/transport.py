"""The dispatcher's HTTP client: agency-controlled URLs may only reach the public internet.

Every request's host is resolved once and refused if any address it has is not public; the
request then goes to that vetted address, with the `Host` header and the TLS SNI / certificate
check keeping the name (as the media fetcher does), so a second DNS answer cannot redirect it.
`Connection: close` keeps connections out of httpx's pool, which is keyed by IP and would let
two host names on one address share a TLS connection verified for the first.
"""

from __future__ import annotations

from http.cookiejar import CookieJar, DefaultCookiePolicy

import httpx

from publisher.media.addresses import Resolver, resolve_public, system_resolver
from publisher.media.exceptions import NotPublicAddress, UnresolvableHost
from publisher.webhooks.delivery import DEFAULT_TIMEOUT_SECONDS

CONNECT_TIMEOUT_SECONDS = 5.0


class EndpointNotPublic(httpx.InvalidURL):
    """The endpoint's host is not on the public internet.

    An InvalidURL so that `deliver` records a final failure: waiting will not make it public.
    """


class PublicAddressTransport(httpx.AsyncBaseTransport):
    """Sends https requests to vetted public addresses only; see the module docstring."""

    def __init__(
        self, inner: httpx.AsyncBaseTransport, *, resolver: Resolver = system_resolver
    ) -> None:
        self._inner = inner
        self._resolver = resolver

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Vet and pin the request's host, then send it."""
        url = request.url
        if url.scheme != "https":
            raise EndpointNotPublic(f"webhook URLs must use https, not {url.scheme!r}")
        try:
            address = await resolve_public(
                url.host, url.port or 443, url=str(url), resolver=self._resolver
            )
        except NotPublicAddress as exc:
            raise EndpointNotPublic(
                f"the host {url.host!r} is not a public address ({exc.reason})"
            ) from exc
        except UnresolvableHost as exc:
            # DNS may recover; a connection error is retried.
            raise httpx.ConnectError(str(exc), request=request) from exc
        host = str(address).split("%", 1)[0]
        request.url = url.copy_with(host=host)
        request.headers["Connection"] = "close"
        if url.host != host:
            request.extensions = {**request.extensions, "sni_hostname": url.raw_host.decode()}
        return await self._inner.handle_async_request(request)

    async def aclose(self) -> None:
        """Close the wrapped transport."""
        await self._inner.aclose()


def webhook_client(
    *, allow_private: bool, resolver: Resolver = system_resolver
) -> httpx.AsyncClient:
    """The dispatcher's client: no proxies from the environment, no redirects, no cookies kept.

    `allow_private` (tests, local development) skips the address checks altogether.
    """
    inner = httpx.AsyncHTTPTransport(retries=0, trust_env=False)
    transport: httpx.AsyncBaseTransport = (
        inner if allow_private else PublicAddressTransport(inner, resolver=resolver)
    )
    # A cookie one agency sets must never ride along to another one on the same address.
    no_cookies = CookieJar(policy=DefaultCookiePolicy(allowed_domains=[]))
    return httpx.AsyncClient(
        transport=transport,
        cookies=no_cookies,
        trust_env=False,
        follow_redirects=False,
        timeout=httpx.Timeout(DEFAULT_TIMEOUT_SECONDS, connect=CONNECT_TIMEOUT_SECONDS),
        limits=httpx.Limits(max_connections=100, max_keepalive_connections=20),
    )
