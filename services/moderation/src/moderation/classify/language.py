"""A comment's language, among the languages Beacon expects its brands' communities to write in.

lingua built from a short list is both faster and more accurate on short comments than built
from all of its languages (which also takes about 1 GB).
"""

from __future__ import annotations

from lingua import Language, LanguageDetectorBuilder

EXPECTED = (
    Language.ENGLISH,
    Language.FRENCH,
    Language.SPANISH,
    Language.GERMAN,
    Language.ITALIAN,
    Language.PORTUGUESE,
    Language.DUTCH,
    Language.ARABIC,
    Language.TURKISH,
)
UNDETERMINED = "und"  # ISO 639-2's code for "cannot tell"
# The language is clear long before this; lingua's cost grows with the text.
DETECT_CHARS = 200


class LanguageDetector:
    """ISO 639-1 codes, or `und` for a text with no letters to go on."""

    def __init__(self) -> None:
        # Loaded up front: lazily, the first comments in each language pay for it.
        self._detector = (
            LanguageDetectorBuilder.from_languages(*EXPECTED)
            .with_preloaded_language_models()
            .build()
        )

    def detect(self, text: str) -> str:
        head = text[:DETECT_CHARS]
        if not any(character.isalpha() for character in head):
            return UNDETERMINED
        language = self._detector.detect_language_of(head)
        return UNDETERMINED if language is None else language.iso_code_639_1.name.lower()
