"""Fetch a post's media from a public URL, within size, type and time limits.

The client must be the egress guard's (`beacon_shared.egress.egress_client`): it checks each hop
(the URL and every redirect, followed here one by one) and pins the connection to the address it
checked. Here: the media's own limits (types, size, redirects, total time) and errors a post's
author can act on.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass

import httpx

from beacon_shared.egress import (
    AddressNotPublic,
    HostUnresolvable,
    ResponseTooLarge,
    SchemeRefused,
)
from publisher.media.exceptions import (
    BadMediaUrl,
    BadScheme,
    MediaHttpError,
    MediaNotFound,
    MediaTimeout,
    MediaTooLarge,
    MediaUnreachable,
    NotPublicAddress,
    TooManyRedirects,
    UnresolvableHost,
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
    max_redirects: int,
    timeouts: httpx.Timeout,
) -> FetchedMedia:
    current = _parse(url)
    for hop in range(max_redirects + 1):
        shown = str(current)
        request = client.build_request(
            "GET", current, headers=_headers(allowed_types), timeout=timeouts
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
        except SchemeRefused as exc:
            raise BadScheme(shown, current.scheme) from exc
        except AddressNotPublic as exc:
            raise NotPublicAddress(shown, exc.host, exc.reason, exc.address) from exc
        except ResponseTooLarge as exc:
            raise MediaTooLarge(shown, max_bytes) from exc
        except httpx.TimeoutException as exc:
            raise MediaTimeout(shown) from exc
        except httpx.ConnectError as exc:
            if isinstance(exc.__cause__, HostUnresolvable):
                raise UnresolvableHost(shown, current.host) from exc
            raise MediaUnreachable(shown, str(exc) or type(exc).__name__) from exc
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


def _headers(allowed_types: frozenset[str]) -> dict[str, str]:
    return {
        "Accept": ", ".join(sorted(allowed_types)),
        # Media is already compressed; refusing transfer compression keeps the size cap honest.
        "Accept-Encoding": "identity",
    }


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
