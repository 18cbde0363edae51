"""Fetching post media from public URLs only, within size, type and time limits."""

from publisher.media.exceptions import (
    BadMediaUrl,
    BadScheme,
    MediaHttpError,
    MediaNotFound,
    MediaRefused,
    MediaTimeout,
    MediaTooLarge,
    MediaUnreachable,
    NotPublicAddress,
    TooManyRedirects,
    UnresolvableHost,
    UnsupportedMediaType,
)
from publisher.media.fetch import DEFAULT_MEDIA_TYPES, FetchedMedia, fetch_media

__all__ = [
    "DEFAULT_MEDIA_TYPES",
    "BadMediaUrl",
    "BadScheme",
    "FetchedMedia",
    "MediaHttpError",
    "MediaNotFound",
    "MediaRefused",
    "MediaTimeout",
    "MediaTooLarge",
    "MediaUnreachable",
    "NotPublicAddress",
    "TooManyRedirects",
    "UnresolvableHost",
    "UnsupportedMediaType",
    "fetch_media",
]
