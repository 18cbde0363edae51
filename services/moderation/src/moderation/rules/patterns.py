"""User-supplied patterns and keyword lists, compiled for RE2: matching time is linear in the text.

Brands write their own regexes, and every comment is matched against them on the hot path, so a
backtracking engine would let one bad pattern (`(a+)+$`) stall a worker. RE2 has no
backreferences or look-arounds and guarantees linear time; it refuses what it cannot do that way.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import re2  # type: ignore[import-untyped]  # google-re2 ships no type information

from moderation.classify.text import normalise

MAX_PATTERN_CHARS = 500
MAX_KEYWORD_CHARS = 100
# RE2's own default: the budget of one compiled program and its lazily built DFA. Less makes
# large keyword lists fall back to a much slower matcher; a pattern over it fails to compile.
MAX_MEM = 8 << 20
# Word characters in any script: a keyword must not start or end inside a longer word.
_EDGE_START = r"(?:^|[^\pL\pN\pM_])"
_EDGE_END = r"(?:$|[^\pL\pN\pM_])"


class Matcher:
    """A compiled RE2 program searched in UTF-8 bytes (the text is encoded once per comment)."""

    __slots__ = ("_program",)

    def __init__(self, program: Any) -> None:
        self._program = program

    def search(self, text: bytes) -> bool:
        """Whether the pattern occurs anywhere in `text`."""
        return self._program.search(text) is not None

    def find(self, text: bytes) -> str | None:
        """The first match (with the characters around a keyword), or None."""
        match = self._program.search(text)
        return None if match is None else bytes(match.group()).decode("utf-8", "replace")


def _options() -> Any:
    options = re2.Options()
    options.max_mem = MAX_MEM
    options.log_errors = False
    options.case_sensitive = False
    options.never_capture = True
    return options


def _compile(pattern: str) -> Matcher:
    try:
        return Matcher(re2.compile(pattern, _options()))
    except re2.error as exc:
        reason = exc.args[0] if exc.args else "not supported"
        if isinstance(reason, bytes):
            reason = reason.decode("utf-8", "replace")
        raise ValueError(f"not a pattern RE2 accepts: {reason}") from None


def compile_regex(pattern: str) -> Matcher:
    """A user's regular expression (RE2 syntax), case-insensitive; ValueError saying why not."""
    if len(pattern) > MAX_PATTERN_CHARS:
        raise ValueError(f"a pattern has at most {MAX_PATTERN_CHARS} characters")
    return _compile(pattern)


def normalise_keyword(keyword: str) -> str:
    """The keyword normalised as the text is; ValueError when nothing is left."""
    folded = normalise(keyword)
    if not folded:
        raise ValueError("the keyword is empty once normalised (spaces or invisible characters)")
    return folded


def compile_keywords(keywords: Iterable[str]) -> Matcher:
    """Matches when any of the keywords occurs as whole words in normalised text."""
    words = sorted({normalise_keyword(k) for k in keywords}, key=len, reverse=True)
    alternatives = "|".join(re2.escape(word) for word in words)
    return _compile(f"{_EDGE_START}(?:{alternatives}){_EDGE_END}")
