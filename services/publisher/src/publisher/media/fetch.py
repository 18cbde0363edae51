"""Fetch a post's media from a public URL, within size, type and time limits.

Each hop (the URL and every redirect) is checked the same way: http or https only, the host
resolved once and refused if any address it has is not public, then the request is sent to
that vetted address. The URL handed to httpx carries the IP, while the `Host` header and the
TLS SNI / certificate check (httpcore's `sni_hostname` extension) keep the original name, so a
second DNS answer (rebinding) can never redirect the connection somewhere else.

Residual risks, for whoever builds the client:
- a client with a proxy (including one picked up from HTTP(S)_PROXY with `trust_env=True`)
  sends the pinned request through the proxy; for https the tunnel then verifies the
  certificate against the IP and fails closed, for plain http the proxy connects to the
  vetted IP. Pass a client built with `trust_env=False` and no proxy.
- httpcore pools connections by (scheme, IP, port), so two host names on one IP could share a
  TLS connection verified for the first name; every request therefore sends
  `Connection: close`, which keeps HTTP/1.1 connections out of the pool. Do not enable HTTP/2
  on the client, where that header has no effect.
- the client's own default headers, auth and cookies are sent to every hop; give it none.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass

import httpx

from publisher.media.addresses import IPAddress, Resolver, resolve_public, system_resolver
from publisher.media.exceptions import (
    BadMediaUrl,
    BadScheme,
    MediaHttpError,
    MediaNotFound,
    MediaTimeout,
    MediaTooLarge,
    MediaUnreachable,
    TooManyRedirects,
    UnsupportedMediaType,
)

DEFAULT_MEDIA_TYPES = frozenset({"image/jpeg", "image/png", "image/gif", "image/webp", "video/mp4"})
MAX_REDIRECTS = 5

_SCHEMES = frozenset({"http", "https"})
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_GONE = frozenset({404, 410})


@dataclass(frozen=True, slots=True)
class FetchedMedia:
    """Media bytes as served, with their declared type and the URL they finally came from."""

    content: bytes
    content_type: str
    url: str


async def fetch_media(
    url: str,
    *,
    client: httpx.AsyncClient,
    max_bytes: int,
    allowed_types: frozenset[str],
    resolver: Resolver = system_resolver,
    max_redirects: int = MAX_REDIRECTS,
    connect_timeout: float = 5.0,
    read_timeout: float = 10.0,
    total_timeout: float = 30.0,
) -> FetchedMedia:
    """Fetch media from a public http(s) URL, or raise a `MediaRefused` saying why not."""
    timeouts = httpx.Timeout(read_timeout, connect=connect_timeout)
    try:
        async with asyncio.timeout(total_timeout):
            return await _follow(
                url,
                client=client,
                max_bytes=max_bytes,
                allowed_types=frozenset(t.lower() for t in allowed_types),
                resolver=resolver,
                max_redirects=max_redirects,
                timeouts=timeouts,
            )
    except TimeoutError as exc:
        raise MediaTimeout(url, total_timeout) from exc


async def _follow(
    url: str,
    *,
    client: httpx.AsyncClient,
    max_bytes: int,
    allowed_types: frozenset[str],
    resolver: Resolver,
    max_redirects: int,
    timeouts: httpx.Timeout,
) -> FetchedMedia:
    current = _parse(url)
    for hop in range(max_redirects + 1):
        shown = str(current)
        address = await _vet(current, shown, resolver)
        request = client.build_request(
            "GET",
            _pinned(current, address),
            headers=_headers(current, allowed_types),
            extensions=_tls_name(current, address),
            timeout=timeouts,
        )
        try:
            response = await client.send(request, stream=True, follow_redirects=False)
            try:
                if response.status_code in _REDIRECTS:
                    location = response.headers.get("location")
                    if not location:
                        raise MediaHttpError(
                            shown, response.status_code, "redirect without a Location"
                        )
                    if hop == max_redirects:
                        raise TooManyRedirects(url, max_redirects)
                    current = _redirect_target(current, location)
                    continue
                content_type = _check_response(response, shown, max_bytes, allowed_types)
                content = await _read_capped(response, shown, max_bytes)
            finally:
                await response.aclose()
        except httpx.TimeoutException as exc:
            raise MediaTimeout(shown) from exc
        except httpx.HTTPError as exc:
            raise MediaUnreachable(shown, str(exc) or type(exc).__name__) from exc
        _sniff(content, content_type, shown, allowed_types)
        return FetchedMedia(content=content, content_type=content_type, url=shown)
    raise TooManyRedirects(url, max_redirects)  # pragma: no cover - the loop returns or raises


def _parse(raw: str) -> httpx.URL:
    try:
        url = httpx.URL(raw)
    except (httpx.InvalidURL, TypeError, ValueError) as exc:
        raise BadMediaUrl(raw, str(exc)) from exc
    if url.scheme not in _SCHEMES:
        raise BadScheme(raw, url.scheme or "no scheme")
    if not url.host:
        raise BadMediaUrl(raw, "it has no host")
    if url.userinfo:
        raise BadMediaUrl(raw, "credentials in media URLs are not accepted")
    return url


def _redirect_target(current: httpx.URL, location: str) -> httpx.URL:
    try:
        target = current.join(location)
    except (httpx.InvalidURL, TypeError, ValueError) as exc:
        raise BadMediaUrl(location, f"the redirect from {current} is malformed") from exc
    return _parse(str(target))


async def _vet(url: httpx.URL, shown: str, resolver: Resolver) -> IPAddress:
    port = url.port or (443 if url.scheme == "https" else 80)
    return await resolve_public(url.host, port, url=shown, resolver=resolver)


def _pinned(url: httpx.URL, address: IPAddress) -> httpx.URL:
    """The URL with its host replaced by the vetted address, so no second lookup happens."""
    return url.copy_with(host=str(address).split("%", 1)[0])


def _headers(url: httpx.URL, allowed_types: frozenset[str]) -> dict[str, str]:
    return {
        "Host": url.netloc.decode("ascii"),
        "Accept": ", ".join(sorted(allowed_types)),
        # Media is already compressed; refusing transfer compression keeps the size cap honest.
        "Accept-Encoding": "identity",
        "Connection": "close",
    }


def _tls_name(url: httpx.URL, address: IPAddress) -> dict[str, str]:
    if url.scheme != "https" or url.host == str(address):
        return {}
    return {"sni_hostname": url.raw_host.decode("ascii")}


def _check_response(
    response: httpx.Response, url: str, max_bytes: int, allowed_types: frozenset[str]
) -> str:
    status = response.status_code
    if status in _GONE:
        raise MediaNotFound(url, status)
    if not 200 <= status < 300:
        raise MediaHttpError(url, status)
    header: str = response.headers.get("content-type", "")
    content_type = header.split(";", 1)[0].strip().lower()
    if content_type not in allowed_types:
        raise UnsupportedMediaType(url, content_type, allowed_types)
    declared = _content_length(response)
    if declared is not None and declared > max_bytes:
        raise MediaTooLarge(url, max_bytes, declared)
    return content_type


def _content_length(response: httpx.Response) -> int | None:
    try:
        return int(response.headers["content-length"])
    except (KeyError, ValueError):
        return None


async def _read_capped(response: httpx.Response, url: str, max_bytes: int) -> bytes:
    body = bytearray()
    async for chunk in response.aiter_bytes():
        body += chunk
        if len(body) > max_bytes:
            raise MediaTooLarge(url, max_bytes)
    return bytes(body)


def _sniff(content: bytes, content_type: str, url: str, allowed_types: frozenset[str]) -> None:
    """Refuse a body whose leading bytes contradict a declared image or video type."""
    check = _SIGNATURES.get(content_type)
    if check is not None and not check(content):
        raise UnsupportedMediaType(url, f"{content_type} header over other bytes", allowed_types)


_SIGNATURES: dict[str, Callable[[bytes], bool]] = {
    "image/jpeg": lambda b: b.startswith(b"\xff\xd8\xff"),
    "image/png": lambda b: b.startswith(b"\x89PNG\r\n\x1a\n"),
    "image/gif": lambda b: b.startswith((b"GIF87a", b"GIF89a")),
    "image/webp": lambda b: b[:4] == b"RIFF" and b[8:12] == b"WEBP",
    "video/mp4": lambda b: b[4:8] == b"ftyp",
}
