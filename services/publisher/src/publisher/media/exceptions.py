"""Reasons a media URL is refused; each names what was wrong so the post author can fix it."""

from __future__ import annotations

from beacon_shared.errors import InvalidInput


class MediaRefused(InvalidInput):
    """Base of every media-fetch failure; `retryable` says whether a later attempt may succeed."""

    code, title = "media_refused", "The media could not be fetched"
    retryable: bool = False

    def __init__(self, url: str, detail: str) -> None:
        super().__init__(detail)
        self.url = url


class BadMediaUrl(MediaRefused):
    code, title = "bad_url", "The media URL is not valid"

    def __init__(self, url: str, reason: str) -> None:
        super().__init__(url, f"The media URL {url!r} is not valid: {reason}.")


class BadScheme(MediaRefused):
    code, title = "bad_scheme", "Media URLs must use http or https"

    def __init__(self, url: str, scheme: str) -> None:
        super().__init__(
            url, f"The media URL uses {scheme!r}; only http and https URLs can be fetched."
        )


class NotPublicAddress(MediaRefused):
    code, title = "not_public_address", "The media host is not a public address"

    def __init__(self, url: str, host: str, reason: str, address: str | None = None) -> None:
        # The resolved address stays on the exception for logs but out of the detail, so the
        # error does not become an oracle for what internal names resolve to.
        super().__init__(
            url,
            f"The media host {host!r} is not a public address ({reason}); "
            "media can only be fetched from the public internet.",
        )
        self.host = host
        self.reason = reason
        self.address = address


class UnresolvableHost(MediaRefused):
    code, title = "unresolvable_host", "The media host name does not resolve"

    def __init__(self, url: str, host: str) -> None:
        super().__init__(url, f"The media host {host!r} does not resolve to any address.")
        self.host = host


class TooManyRedirects(MediaRefused):
    code, title = "too_many_redirects", "The media URL redirects too many times"

    def __init__(self, url: str, limit: int) -> None:
        super().__init__(url, f"The media URL redirected more than {limit} times.")


class MediaNotFound(MediaRefused):
    code, title = "not_found", "The media URL was not found"

    def __init__(self, url: str, status: int) -> None:
        super().__init__(url, f"The media server answered {status}: nothing at {url!r}.")
        self.status_code = status


class MediaHttpError(MediaRefused):
    code, title = "http_error", "The media server returned an error"

    def __init__(self, url: str, status: int, reason: str | None = None) -> None:
        detail = f"The media server answered {status} for {url!r}"
        super().__init__(url, f"{detail}: {reason}." if reason else f"{detail}.")
        self.status_code = status
        self.retryable = status >= 500 or status == 429


class MediaTooLarge(MediaRefused):
    code, title = "too_large", "The media is too large"

    def __init__(self, url: str, max_bytes: int, size: int | None = None) -> None:
        got = f" ({size} bytes)" if size is not None else ""
        super().__init__(url, f"The media is larger than the limit of {max_bytes} bytes{got}.")
        self.max_bytes = max_bytes
        self.size = size


class UnsupportedMediaType(MediaRefused):
    code, title = "unsupported_type", "The media type is not supported"

    def __init__(self, url: str, content_type: str, allowed: frozenset[str]) -> None:
        super().__init__(
            url,
            f"The media is {content_type or 'of no declared type'}; "
            f"supported types are {', '.join(sorted(allowed))}.",
        )
        self.content_type = content_type


class MediaTimeout(MediaRefused):
    code, title = "timeout", "The media server did not answer in time"
    retryable = True

    def __init__(self, url: str, seconds: float | None = None) -> None:
        limit = f" within {seconds:g} s" if seconds is not None else " in time"
        super().__init__(url, f"The media server did not deliver {url!r}{limit}.")


class MediaUnreachable(MediaRefused):
    code, title = "unreachable", "The media server could not be reached"
    retryable = True

    def __init__(self, url: str, reason: str) -> None:
        super().__init__(url, f"The media server for {url!r} could not be reached: {reason}.")
