"""Things in a comment that rules and the spam score look at: links, e-mails, phone numbers."""

from __future__ import annotations

import re
from dataclasses import dataclass

# An e-mail address's domain ("jane@gmail.com") is not a link.
LINK = re.compile(
    r"\b(?:https?://|www\.)\S+|(?<!@)\b[a-z0-9-]+\.(?:com|net|org|io|ly|me|gg|xyz|shop)\b/?\S*"
)
SHORTENER = re.compile(r"\b(?:bit\.ly|tinyurl\.com|goo\.gl|cutt\.ly|is\.gd|t\.me|wa\.me)/\S+")
EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+\.[\w.-]+\b")
# International or national numbers of 9+ digits, with the usual separators.
PHONE = re.compile(r"(?<![\w.])\+?\d[\d\s().-]{7,}\d(?![\w.])")


@dataclass(frozen=True)
class Signals:
    links: int
    shorteners: int
    emails: int
    phones: int


def signals_of(text: str) -> Signals:
    """Counted on the normalised text (casefolded, invisible characters removed)."""
    return Signals(
        links=len(LINK.findall(text)),
        shorteners=len(SHORTENER.findall(text)),
        emails=len(EMAIL.findall(text)),
        phones=len(PHONE.findall(text)),
    )
