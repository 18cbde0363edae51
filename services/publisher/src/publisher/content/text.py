"""Ways networks measure text: code points, graphemes, and X's weighted length."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator

# The `regex` module ships no type information; typeshed's `types-regex` would remove the ignore.
import regex  # type: ignore[import-untyped]

# A URL as the networks find them: a scheme, then up to whitespace, trailing punctuation left out
# (twitter-text and Mastodon both stop before a final `.`, `,`, `)` and the like).
URL_PATTERN = regex.compile(r"""https?://[^\s<>"]*[^\s<>".,;:!?'")\]}]""", regex.IGNORECASE)

# Every URL counts as this many characters on X (twitter-text config v3 `transformedURLLength`,
# https://github.com/twitter/twitter-text/blob/master/config/src/v3.json) and on Mastodon
# (`StatusLengthValidator::URL_PLACEHOLDER_CHARS`, also the default of the instance's
# `configuration.statuses.characters_reserved_per_url`).
URL_LENGTH = 23

# twitter-text config v3: `scale` 100, `defaultWeight` 200 and these ranges at weight 100, so a
# code point in them counts 1 and any other counts 2.
_X_LIGHT_RANGES = ((0, 4351), (8192, 8205), (8208, 8223), (8242, 8247))
_X_DEFAULT_WEIGHT = 2
# With `emojiParsingEnabled` an emoji sequence counts as one default-weight character, whatever
# the number of code points in it.
_X_EMOJI_WEIGHT = 2

_GRAPHEME = regex.compile(r"\X")
# An emoji as a reader sees it: something drawn as emoji by default, a text-style pictograph
# asked to be drawn as emoji (U+FE0F), a keycap (U+20E3), a ZWJ sequence of pictographs, or a
# flag made of regional indicators.
_EMOJI = regex.compile(
    r"\p{Emoji_Presentation}|\p{Extended_Pictographic}.*[\uFE0F\u200D]|\u20E3|\p{Regional_Indicator}"
)
# A remote mention counts only its local part on Mastodon (`@alice@example.org` counts as
# `@alice`), as `StatusLengthValidator` rewrites mentions before counting.
_REMOTE_MENTION = regex.compile(r"(?<![\w/@])(@\w+(?:[.-]+\w+)*)@[\w.-]+\w", regex.UNICODE)


def graphemes(text: str) -> Iterator[str]:
    """The extended grapheme clusters of `text` (Unicode UAX #29)."""
    for match in _GRAPHEME.finditer(text):
        yield str(match.group())


def grapheme_count(text: str) -> int:
    """How many user-perceived characters `text` has."""
    return sum(1 for _ in graphemes(text))


def _x_weight(code_point: int) -> int:
    for start, end in _X_LIGHT_RANGES:
        if start <= code_point <= end:
            return 1
    return _X_DEFAULT_WEIGHT


def _x_plain_length(text: str) -> int:
    total = 0
    for cluster in graphemes(text):
        if _EMOJI.search(cluster):
            total += _X_EMOJI_WEIGHT
        else:
            total += sum(_x_weight(ord(c)) for c in cluster)
    return total


def x_weighted_length(text: str) -> int:
    """The length X gives `text` (twitter-text v3): URLs 23, CJK and emoji 2, most others 1."""
    # twitter-text counts the NFC form, so a decomposed "é" costs what a composed one does.
    text = unicodedata.normalize("NFC", text)
    total = 0
    last = 0
    for match in URL_PATTERN.finditer(text):
        total += _x_plain_length(text[last : match.start()]) + URL_LENGTH
        last = match.end()
    return total + _x_plain_length(text[last:])


def mastodon_length(text: str, *, url_length: int = URL_LENGTH) -> int:
    """The length Mastodon gives `text`: graphemes, each URL `url_length`, remote mentions local."""
    text = _REMOTE_MENTION.sub(r"\1", text)
    total = 0
    last = 0
    for match in URL_PATTERN.finditer(text):
        total += grapheme_count(text[last : match.start()]) + url_length
        last = match.end()
    return total + grapheme_count(text[last:])


# A hashtag as Instagram links it: `#` after a non-word character (or at the start), then word
# characters, at least one of them not a digit.
_HASHTAG = regex.compile(r"(?<![\w&#])#(?=\w*[^\W\d])\w+")


def hashtag_count(text: str) -> int:
    """How many hashtags `text` has, repeats included."""
    return sum(1 for _ in _HASHTAG.finditer(text))
