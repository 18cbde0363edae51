"""The egress guard as an httpx transport: every request on a tenant's behalf passes through it.

Each request (and so each redirect hop, which httpx sends as a new request) is checked: its
scheme, then its host resolved once and refused if any address it has is not public (or
allowed by the operator). The request then goes to that vetted address: the URL handed to the
connection carries the IP, while the `Host` header and the TLS SNI / certificate check keep the
name, so a second DNS answer (rebinding) cannot move the connection elsewhere. Answers are
bounded in size and in total time, however slowly a server drips them.

`Connection: close` keeps connections out of httpcore's pool, which is keyed by IP and would let
two host names on one address share a TLS connection verified for the first. The client must
not use a proxy or HTTP/2 (see `egress_client`).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx

from beacon_shared.egress.addresses import (
    AddressRefused,
    HostUnresolvable,
    Resolver,
    resolve_public,
    system_resolver,
)
from beacon_shared.egress.policy import EgressPolicy


class EgressRefused(httpx.RequestError):
    """The guard would not send the request (or read all its answer); waiting will not help."""


class SchemeRefused(EgressRefused):
    """The URL's scheme is not one the policy allows (plain http outside local development)."""


class AddressNotPublic(EgressRefused):
    """The host, or an address it resolves to, is not public; `reason` says which way."""

    def __init__(self, refused: AddressRefused, *, request: httpx.Request) -> None:
        super().__init__(str(refused), request=request)
        self.host = refused.host
        self.reason = refused.reason
        self.address = refused.address


class ResponseTooLarge(EgressRefused):
    """The answer is larger than the guard lets a caller read."""


class EgressTransport(httpx.AsyncBaseTransport):
    """Vets, pins and bounds every request; see the module docstring."""

    def __init__(
        self,
        inner: httpx.AsyncBaseTransport,
        policy: EgressPolicy,
        *,
        resolver: Resolver = system_resolver,
    ) -> None:
        self._inner = inner
        self._policy = policy
        self._resolver = resolver

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Check the request's URL and address, send it pinned, and bound its answer."""
        url = request.url
        if url.scheme not in self._policy.schemes:
            raise SchemeRefused(
                f"calls must use {' or '.join(self._policy.schemes)}, not {url.scheme!r}",
                request=request,
            )
        port = url.port or (443 if url.scheme == "https" else 80)
        try:
            address = await resolve_public(
                url.host,
                port,
                resolver=self._resolver,
                allowed_networks=self._policy.allowed_networks,
            )
        except AddressRefused as exc:
            raise AddressNotPublic(exc, request=request) from exc
        except HostUnresolvable as exc:
            # DNS may recover: a connection error is retried by the callers.
            raise httpx.ConnectError(str(exc), request=request) from exc
        pinned = _pinned(request, str(address))
        deadline = asyncio.get_running_loop().time() + self._policy.deadline_seconds
        try:
            async with asyncio.timeout_at(deadline):
                response = await self._inner.handle_async_request(pinned)
        except TimeoutError as exc:
            raise httpx.ReadTimeout("the answer took longer than allowed", request=request) from exc
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self._policy.max_response_bytes:
            await response.aclose()
            raise ResponseTooLarge(
                f"the answer declares {declared} bytes, more than the "
                f"{self._policy.max_response_bytes} allowed",
                request=request,
            )
        stream = response.stream
        assert isinstance(stream, httpx.AsyncByteStream)
        response.stream = _BoundedStream(stream, request, self._policy.max_response_bytes, deadline)
        return response

    async def aclose(self) -> None:
        """Close the wrapped transport."""
        await self._inner.aclose()


def _pinned(request: httpx.Request, address: str) -> httpx.Request:
    """A copy of the request addressed to the vetted IP; the original stays what the client
    sees (redirects are resolved against it, not against the IP)."""
    url = request.url
    host = address.split("%", 1)[0]
    headers = request.headers.copy()
    headers["Connection"] = "close"
    extensions = dict(request.extensions)
    if url.scheme == "https" and url.host != host:
        extensions["sni_hostname"] = url.raw_host.decode("ascii")
    return httpx.Request(
        request.method,
        url.copy_with(host=host),
        headers=headers,
        stream=request.stream,
        extensions=extensions,
    )


class _BoundedStream(httpx.AsyncByteStream):
    """The answer's bytes, refused past a size or a deadline."""

    def __init__(
        self, inner: httpx.AsyncByteStream, request: httpx.Request, limit: int, deadline: float
    ) -> None:
        self._inner = inner
        self._request = request
        self._limit = limit
        self._deadline = deadline

    async def __aiter__(self) -> AsyncIterator[bytes]:
        received = 0
        chunks = self._inner.__aiter__()
        while True:
            try:
                async with asyncio.timeout_at(self._deadline):
                    chunk = await anext(chunks)
            except StopAsyncIteration:
                return
            except TimeoutError as exc:
                raise httpx.ReadTimeout(
                    "the answer took longer than allowed", request=self._request
                ) from exc
            received += len(chunk)
            if received > self._limit:
                raise ResponseTooLarge(
                    f"the answer is larger than the {self._limit} bytes allowed",
                    request=self._request,
                )
            yield chunk

    async def aclose(self) -> None:
        await self._inner.aclose()
