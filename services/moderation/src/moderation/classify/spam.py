"""A spam and scam score from the evidence a comment carries, combined as independent clues.

Each clue has a weight, the chance on its own that the comment is spam; clues combine as
1 - Π(1 - weight). The weights are set from what each clue means, not fitted to a dataset, so
every labelled file stays available for measuring them. The trained spam head beside them is
read through `head_spam`, its margin shifted by what the comment carries (`SpamShift`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from moderation.classify.signals import Signals

_COINS = r"(?:crypto|bitcoin|btc|eth|ethereum|usdt|solana|nft)s?"


@dataclass(frozen=True)
class Clue:
    name: str
    pattern: re.Pattern[str]
    weight: float


CLUES = (
    # Selling social proof: SMM panels, followers, likes, views.
    Clue("smm_panel", re.compile(r"\bsmm\b|\bpanel\b.{0,30}\b(?:cheap|price|followers)"), 0.9),
    Clue(
        "sells_followers",
        re.compile(
            r"\b(?:buy|cheap|real|free|gain|get)\b.{0,20}\b(?:followers|likes|views|subscribers|abonnés)\b"
        ),
        0.8,
    ),
    Clue("cheap_price", re.compile(r"\bcheap(?:er|est)? price|\bprix (?:bas|cassés?)\b"), 0.5),
    # Self-promotion under someone else's post.
    Clue(
        "self_promotion",
        re.compile(
            r"\b(?:check|look at|visit|watch|see|listen to|hear|go to)\b.{0,12}\b(?:out )?"
            r"(?:my|our)\b.{0,12}\b(?:channel|page|profile|videos?|music|songs?|tracks?|site"
            r"|website|shop|store|blog|vlogs?|covers?|playlist|mixtape|remix|raps?)\b"
            r"|\bsubscribe (?:to )?(?:my|our)\b|\b(?:please|pls|plz) subscribe\b"
            r"|\babonnez[- ]vous\b|\bfollow (?:me|back|4 ?follow|for follow)\b"
            r"|\bf4f\b|\bsub4sub\b"
        ),
        0.8,
    ),
    # Begging for likes and clicks under someone else's post.
    Clue(
        "engagement_bait",
        re.compile(
            r"\bthumbs up if\b|\blike (?:this|my) comment\b|\bclick (?:on )?(?:the|this|my) link\b"
        ),
        0.6,
    ),
    # Alone it is also a customer's word ("the subscribe button fails"): weaker evidence.
    Clue("subscribe", re.compile(r"\bsubscribe\b|\babonne[- ]toi\b"), 0.5),
    Clue(
        "crypto_scam",
        re.compile(
            rf"\b{_COINS}\b.{{0,40}}\b(?:giveaway|airdrop|profit|invest)|\bdouble your {_COINS}\b"
            r"|\b(?:giveaway|airdrop)\b.{0,40}\b" + _COINS + r"\b"
        ),
        0.9,
    ),
    Clue(
        "contact_me",
        re.compile(
            r"\b(?:dm|message|text|contact|whatsapp|telegram|écris|contactez)\b.{0,15}\b(?:me|moi|us|nous)\b"
        ),
        0.4,
    ),
    Clue(
        "earn_money",
        re.compile(r"\b(?:earn|make|gagner|gagnez)\b.{0,20}(?:\$|€|money|argent|per (?:day|week))"),
        0.6,
    ),
    Clue(
        "free_offer",
        re.compile(r"\b(?:free|gratuit)\b.{0,20}\b(?:gift|iphone|card|cadeau|giveaway)\b"),
        0.6,
    ),
)
LINK_WEIGHT = 0.35  # a link alone is often a customer pasting an order page
SHORTENER_WEIGHT = 0.6
CONTACT_WEIGHT = 0.4  # an e-mail address or a phone number left in a public comment
# The same long text from this many different authors: weak evidence alone (customers ask the
# same question, fans paste a contest sentence), enough to hide with any other spam clue.
COPIES_MIN_AUTHORS = 3
COPIES_WEIGHT = 0.65


def spam_score(text: str, signals: Signals) -> tuple[float, list[str]]:
    """The score in [0, 1] of a normalised text, and the clues that raised it."""
    weights: list[float] = []
    reasons: list[str] = []
    for clue in CLUES:
        if clue.pattern.search(text):
            weights.append(clue.weight)
            reasons.append(clue.name)
    if signals.links:
        weights.append(1 - (1 - LINK_WEIGHT) ** min(signals.links, 3))
        reasons.append("link")
    if signals.shorteners:
        weights.append(SHORTENER_WEIGHT)
        reasons.append("link_shortener")
    if signals.emails or signals.phones:
        weights.append(CONTACT_WEIGHT)
        reasons.append("contact_details")
    return combined(*weights), reasons


def combined(*chances: float) -> float:
    """Independent clues' chances combined: 1 - Π(1 - chance)."""
    remaining = 1.0
    for chance in chances:
        remaining *= 1 - chance
    return 1 - remaining


@dataclass(frozen=True)
class SpamShift:
    """What is added to the spam head's margin: `bare` for a comment that carries no link,
    shortener, e-mail address or phone number, `linked` for one that does. Trained on comments
    under three music videos and Beacon's written examples, the head is too timid on a new
    audience's spam that relies on words alone ("sub to my channel"), and too sure of customers
    who paste a link (docs/moderation.md); training chooses both on written ordinary comments."""

    bare: float = 0.0
    linked: float = 0.0


def carries_contact(signals: Signals) -> bool:
    """A link, shortener, e-mail address or phone number: what spam and customers both paste."""
    return bool(signals.links or signals.shorteners or signals.emails or signals.phones)


def head_spam(
    margin: npt.NDArray[np.float32], signals: Sequence[Signals], shift: SpamShift
) -> npt.NDArray[np.float32]:
    """The spam head's probability from its margin, shifted by what the comment carries."""
    moved = np.asarray(
        [shift.linked if carries_contact(s) else shift.bare for s in signals], dtype=np.float32
    )
    return np.asarray(1.0 / (1.0 + np.exp(-(margin + moved))), dtype=np.float32)
