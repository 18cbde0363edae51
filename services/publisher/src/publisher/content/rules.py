"""What each network accepts in one post variant, as a list of problems to render as a 422."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import TypedDict

from beacon_shared.contracts.common import Network
from publisher.content.text import (
    grapheme_count,
    hashtag_count,
    mastodon_length,
    x_weighted_length,
)

# X: `maxWeightedTweetLength` of twitter-text config v3
# (https://github.com/twitter/twitter-text/blob/master/config/src/v3.json).
X_MAX_WEIGHTED_LENGTH = 280
# X: "up to 4 photos, 1 GIF or 1 video" per post (X Help Center, "How to post photos or GIFs";
# API v2 POST /2/tweets `media.media_ids` takes 1 to 4 ids).
X_MAX_IMAGES = 4
# Bluesky: `app.bsky.feed.post` lexicon, `text` has `maxGraphemes: 300` (and `maxLength: 3000`
# bytes); `app.bsky.embed.images` has `images` `maxLength: 4`; `app.bsky.embed.video` is one
# video, and a post has one embed, so images and a video do not mix.
BLUESKY_MAX_GRAPHEMES = 300
BLUESKY_MAX_IMAGES = 4
# Mastodon: `StatusLengthValidator::MAX_CHARS` (500) and the default of the instance's
# `configuration.statuses.max_characters` / `max_media_attachments` (4), both in
# https://docs.joinmastodon.org/entities/Instance/; forks and instances raise them.
MASTODON_DEFAULT_MAX_CHARACTERS = 500
MASTODON_MAX_MEDIA = 4
# Instagram: IG User Media reference, `caption`: "Maximum 2200 characters, 30 hashtags, and 20 @
# tags"; a carousel has at most 10 children and every post needs media
# (https://developers.facebook.com/docs/instagram-platform/instagram-graph-api/reference/ig-user/media).
INSTAGRAM_MAX_CHARACTERS = 2200
INSTAGRAM_MAX_HASHTAGS = 30
INSTAGRAM_MAX_MEDIA = 10
# LinkedIn: Posts API `commentary`, 3,000 characters (what the LinkedIn composer and publishing
# tools such as Ayrshare document; the Posts API reference itself states no number).
LINKEDIN_MAX_CHARACTERS = 3000
# Facebook: 63,206 characters per post, the long-standing composer limit (widely documented by
# publishing tools; Meta's Graph API reference for `/{page-id}/feed` `message` states no number).
FACEBOOK_MAX_CHARACTERS = 63_206


class MediaKind(StrEnum):
    """What one attached media item is, as far as limits care."""

    image = "image"
    video = "video"


class ErrorItem(TypedDict):
    """One entry of a problem document's `errors`, shaped as the shared 422 handler shapes it."""

    pointer: str
    location: str
    type: str
    message: str


@dataclass(frozen=True, slots=True)
class ContentProblem:
    """One way a variant breaks a network's rules."""

    pointer: str
    code: str
    message: str

    def as_error(self) -> ErrorItem:
        """The problem as an `errors` item of an RFC 9457 document (see `InvalidInput`)."""
        return {
            "pointer": self.pointer,
            "location": "body",
            "type": self.code,
            "message": self.message,
        }


@dataclass(frozen=True, slots=True)
class _Variant:
    text: str
    media: Sequence[MediaKind]
    text_pointer: str
    media_pointer: str


_Check = Callable[[_Variant], list[ContentProblem]]


def check_variant(
    network: Network,
    text: str,
    media: Sequence[MediaKind] = (),
    *,
    pointer: str | None = None,
    mastodon_max_characters: int | None = None,
) -> list[ContentProblem]:
    """The problems of one variant for `network`; empty when the network would accept it.

    `pointer` is the JSON pointer of the variant in the request (default `/variants/<network>`);
    problems point at its `text` or `media`. `mastodon_max_characters` is the instance's
    `configuration.statuses.max_characters`, for Mastodon only.
    """
    if mastodon_max_characters is not None and mastodon_max_characters < 1:
        raise ValueError("mastodon_max_characters must be positive")
    base = pointer if pointer is not None else f"/variants/{network.value}"
    variant = _Variant(text, media, f"{base}/text", f"{base}/media")
    problems: list[ContentProblem] = []
    if not text.strip() and not media:
        problems.append(ContentProblem(base, "content_required", "A post needs text or media."))
    if "\x00" in text:
        problems.append(
            ContentProblem(
                variant.text_pointer, "nul_character", "U+0000 (NUL) is not allowed in text."
            )
        )
    if network is Network.mastodon:
        limit = mastodon_max_characters or MASTODON_DEFAULT_MAX_CHARACTERS
        problems += _check_mastodon(variant, limit)
    else:
        check = _CHECKS.get(network)
        if check is not None:
            problems += check(variant)
    return problems


def _too_long(variant: _Variant, length: int, limit: int, unit: str) -> list[ContentProblem]:
    if length <= limit:
        return []
    return [
        ContentProblem(
            variant.text_pointer,
            "text_too_long",
            f"The text is {length} {unit} long; the limit is {limit}.",
        )
    ]


def _too_many_media(variant: _Variant, limit: int, what: str) -> list[ContentProblem]:
    if len(variant.media) <= limit:
        return []
    return [
        ContentProblem(
            variant.media_pointer,
            "too_many_media",
            f"{len(variant.media)} media items are attached; at most {limit} {what} are allowed.",
        )
    ]


def _images_or_one_video(variant: _Variant, max_images: int) -> list[ContentProblem]:
    if MediaKind.video in variant.media and len(variant.media) > 1:
        return [
            ContentProblem(
                variant.media_pointer,
                "too_many_media",
                "A video must be the only media item of the post.",
            )
        ]
    return _too_many_media(variant, max_images, "images")


def _check_x(variant: _Variant) -> list[ContentProblem]:
    length = x_weighted_length(variant.text)
    return _too_long(variant, length, X_MAX_WEIGHTED_LENGTH, "weighted characters") + (
        _images_or_one_video(variant, X_MAX_IMAGES)
    )


def _check_bluesky(variant: _Variant) -> list[ContentProblem]:
    length = grapheme_count(variant.text)
    return _too_long(variant, length, BLUESKY_MAX_GRAPHEMES, "graphemes") + (
        _images_or_one_video(variant, BLUESKY_MAX_IMAGES)
    )


def _check_mastodon(variant: _Variant, limit: int) -> list[ContentProblem]:
    length = mastodon_length(variant.text)
    return _too_long(variant, length, limit, "characters") + (
        _too_many_media(variant, MASTODON_MAX_MEDIA, "media items")
    )


def _check_instagram(variant: _Variant) -> list[ContentProblem]:
    problems = _too_long(variant, len(variant.text), INSTAGRAM_MAX_CHARACTERS, "characters")
    hashtags = hashtag_count(variant.text)
    if hashtags > INSTAGRAM_MAX_HASHTAGS:
        problems.append(
            ContentProblem(
                variant.text_pointer,
                "too_many_hashtags",
                f"The caption has {hashtags} hashtags; the limit is {INSTAGRAM_MAX_HASHTAGS}.",
            )
        )
    if not variant.media:
        problems.append(
            ContentProblem(
                variant.media_pointer, "media_required", "An Instagram post needs media."
            )
        )
    return problems + _too_many_media(variant, INSTAGRAM_MAX_MEDIA, "media items")


def _check_linkedin(variant: _Variant) -> list[ContentProblem]:
    return _too_long(variant, len(variant.text), LINKEDIN_MAX_CHARACTERS, "characters")


def _check_facebook(variant: _Variant) -> list[ContentProblem]:
    return _too_long(variant, len(variant.text), FACEBOOK_MAX_CHARACTERS, "characters")


_CHECKS: dict[Network, _Check] = {
    Network.x: _check_x,
    Network.bluesky: _check_bluesky,
    Network.instagram: _check_instagram,
    Network.linkedin: _check_linkedin,
    Network.facebook: _check_facebook,
}
