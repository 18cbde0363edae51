"""A deliberately simple keyword policy, kept until the classifier and per-brand rules exist."""

from __future__ import annotations

import re

from beacon_shared.contracts.ingest import CommentReceived
from beacon_shared.contracts.moderation import ModerationAction
from moderation.rules.policy import Verdict
from moderation.rules.text import normalise

SPAM_PHRASES = (
    "smm panel",
    "follow for follow",
    "follow4follow",
    "check my channel",
    "check out my channel",
    "subscribe to my channel",
    "check my profile",
)
_COINS = r"(?:crypto|bitcoin|btc|eth|ethereum|usdt|solana|nft)s?"
CRYPTO_GIVEAWAY = re.compile(
    rf"\b{_COINS}\b.{{0,40}}\bgiveaway|\bgiveaway\b.{{0,40}}\b{_COINS}\b|\bdouble your {_COINS}\b"
)
LINK = re.compile(r"\b(?:https?://|www\.)\S+")
SHORTENER = re.compile(r"\b(bit\.ly|tinyurl\.com|goo\.gl|cutt\.ly|is\.gd|t\.me|wa\.me)/\S+")
# More links than a customer pasting an order page or a screenshot would plausibly need.
MAX_LINKS = 2
INSULTS = re.compile(
    r"\b(idiots?|stupid|morons?|losers?|dumb|pathetic|imbeciles?|clowns?|shut up)\b"
)


class PlaceholderPolicy:
    """Hides spam, flags insults for review and allows everything else."""

    def decide(self, comment: CommentReceived) -> Verdict:
        """The verdict for `comment`, from its normalised text only."""
        text = normalise(comment.text)
        spam = _spam_reasons(text)
        if spam:
            rule, _ = spam[0]
            return Verdict(
                ModerationAction.hide, f"placeholder.{rule}", reasons=[r for _, r in spam]
            )
        insults = sorted({m.group(1) for m in INSULTS.finditer(text)})
        if insults:
            return Verdict(
                ModerationAction.flag,
                "placeholder.insult",
                reasons=[f"insult:{word}" for word in insults],
            )
        return Verdict(ModerationAction.allow, "placeholder.default")


def _spam_reasons(text: str) -> list[tuple[str, str]]:
    """(rule, reason) pairs, strongest evidence first."""
    found = [("spam_phrase", f"spam_phrase:{p}") for p in SPAM_PHRASES if p in text]
    if CRYPTO_GIVEAWAY.search(text):
        found.append(("crypto_giveaway", "crypto_giveaway"))
    shortener = SHORTENER.search(text)
    if shortener:
        found.append(("link_shortener", f"link_shortener:{shortener.group(1)}"))
    links = len(LINK.findall(text))
    if links > MAX_LINKS:
        found.append(("link_spam", f"link_spam:{links}_links"))
    return found
