"""What a post looks like on one network: its variant's fields over the post's own."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from beacon_shared.contracts.common import Network
from publisher.content import MediaKind

_VIDEO_EXTENSIONS = (".mp4", ".mov", ".m4v", ".webm")


@dataclass(frozen=True)
class MediaRef:
    """A media item of a post as stored."""

    url: str
    alt_text: str | None
    kind: MediaKind


@dataclass(frozen=True)
class Variant:
    """The content of a post on one network, and where each field came from in the request."""

    text: str
    link: str | None
    media: Sequence[MediaRef]
    first_comment: str | None
    # JSON pointers of where the text and the media came from: the variant's, or the post's own.
    text_pointer: str
    media_pointer: str

    @property
    def text_with_link(self) -> str:
        """The text as published: the link, when not already in it, goes at the end."""
        if self.link and self.link not in self.text:
            return f"{self.text} {self.link}".strip()
        return self.text


def media_kind(url: str, given: str | None) -> MediaKind:
    """The kind given, else a guess from the URL's extension (images unless it says video)."""
    if given is not None:
        return MediaKind(given)
    path = urlsplit(url).path.lower()
    return MediaKind.video if path.endswith(_VIDEO_EXTENSIONS) else MediaKind.image


def _media(items: Sequence[Mapping[str, Any]]) -> list[MediaRef]:
    return [
        MediaRef(str(m["url"]), m.get("alt_text"), media_kind(str(m["url"]), m.get("kind")))
        for m in items
    ]


def variant_for(
    network: Network,
    *,
    text: str,
    link: str | None,
    media: Sequence[Mapping[str, Any]],
    first_comment: str | None,
    variants: Mapping[str, Mapping[str, Any]],
) -> Variant:
    """The post's fields, replaced by those the network's variant sets."""
    own = variants.get(network.value) or {}
    base = f"/variants/{network.value}"
    return Variant(
        text=own["text"] if own.get("text") is not None else text,
        link=own["link"] if own.get("link") is not None else link,
        media=_media(own["media"] if own.get("media") is not None else media),
        first_comment=(
            own["first_comment"] if own.get("first_comment") is not None else first_comment
        ),
        text_pointer=f"{base}/text" if own.get("text") is not None else "/text",
        media_pointer=f"{base}/media" if own.get("media") is not None else "/media",
    )
