"""Labelled examples written for Beacon, in English and French, that no public set gives with a
licence to ship: threats, hate against groups and insults aimed at a brand, beside what must not
be caught (negations, quoted counter-speech, neutral mentions of groups, jokes with violent
words); spam and scams beside ordinary customer comments that carry a link, a phone number or an
order question; and the tone of brand-page comments.

Each template is expanded with fillers drawn by a seeded generator, so the same examples come out
every run. They are Beacon's own text, under the project's licence.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from moderation_tools.train.written_offence import (
    COMPLAINTS_EN,
    COMPLAINTS_FR,
    GROUPS_EN,
    GROUPS_FR,
    HATE_EN,
    HATE_FR,
    IDIOMS_EN,
    IDIOMS_FR,
    INSULTS_EN,
    INSULTS_FR,
    NOT_OFFENSIVE_EN,
    NOT_OFFENSIVE_FR,
    OBSCENE_EN,
    OBSCENE_FR,
    PRODUCTS_EN,
    PRODUCTS_FR,
    TARGETS_EN,
    TARGETS_FR,
    THREATS_EN,
    THREATS_FR,
)
from moderation_tools.train.written_spam_tone import (
    ACCOUNT_THINGS_EN,
    ACCOUNT_THINGS_FR,
    BRAND_LINKS,
    DATES,
    HAM_EN,
    HAM_FR,
    LINKS,
    NEUTRAL_EN,
    NEUTRAL_FR,
    POSITIVE_EN,
    POSITIVE_FR,
    SPAM_EN,
    SPAM_FR,
)

SEED = 20261205


@dataclass(frozen=True)
class Example:
    text: str
    lang: str
    # toxicity: 1 offensive; the sub-labels say which kind (several may hold)
    toxic: int = 0
    insult: int = 0
    threat: int = 0
    hate: int = 0
    obscene: int = 0
    # spam: 1 spam, 0 ham, -1 not a spam example
    spam: int = -1
    # sentiment: negative / neutral / positive, or "" when not a sentiment example
    sentiment: str = ""
    # which template it came from: cross-validation keeps a template's examples together
    template: str = ""


def _fill(rng: random.Random, template: str, lang: str) -> str:
    english = lang == "en"
    n = rng.randint(1, 99)
    return template.format(
        t=rng.choice(TARGETS_EN if english else TARGETS_FR),
        g=rng.choice(GROUPS_EN if english else GROUPS_FR),
        p=rng.choice(PRODUCTS_EN if english else PRODUCTS_FR),
        u=rng.choice(LINKS).format(n=n),
        u2=rng.choice(BRAND_LINKS).format(o=rng.randint(10_000, 99_999), n=n, p2="hoodie-blue"),
        n=n,
        o=rng.randint(10_000, 99_999),
        d=rng.choice(DATES),
        w=rng.choice(ACCOUNT_THINGS_EN if english else ACCOUNT_THINGS_FR),
    )


def _variants(rng: random.Random, text: str) -> str:
    """Casing and punctuation as people type them."""
    roll = rng.random()
    if roll < 0.15:
        text = text.upper()
    elif roll < 0.35:
        text = text.lower()
    elif roll < 0.5:
        text = text[:1].upper() + text[1:]
    ending = rng.choice(("", "", "!", "!!", ".", " 😡", " 🤬", " ...", "?!"))
    return text + ending


def _expand(
    rng: random.Random, templates: Sequence[str], lang: str, count: int, **labels: int | str
) -> Iterator[Example]:
    for n in range(count):
        template = templates[n % len(templates)]
        yield Example(
            _variants(rng, _fill(rng, template, lang)),
            lang,
            template=f"{lang}:{template}",
            **labels,  # type: ignore[arg-type]
        )


def examples(per_template: int = 6) -> list[Example]:
    """Every written example, the same list each run."""
    rng = random.Random(SEED)
    out: list[Example] = []
    k = per_template
    for lang, threats, insults, obscene, hate, fine, idioms, complaints in (
        (
            "en",
            THREATS_EN,
            INSULTS_EN,
            OBSCENE_EN,
            HATE_EN,
            NOT_OFFENSIVE_EN,
            IDIOMS_EN,
            COMPLAINTS_EN,
        ),
        (
            "fr",
            THREATS_FR,
            INSULTS_FR,
            OBSCENE_FR,
            HATE_FR,
            NOT_OFFENSIVE_FR,
            IDIOMS_FR,
            COMPLAINTS_FR,
        ),
    ):
        out += _expand(
            rng, threats, lang, k * len(threats), toxic=1, threat=1, sentiment="negative"
        )
        out += _expand(
            rng, insults, lang, k * len(insults), toxic=1, insult=1, sentiment="negative"
        )
        out += _expand(
            rng, obscene, lang, k * len(obscene), toxic=1, obscene=1, sentiment="negative"
        )
        out += _expand(rng, hate, lang, k * len(hate), toxic=1, hate=1, sentiment="negative")
        out += _expand(rng, fine, lang, k * len(fine))
        out += _expand(rng, idioms, lang, k * len(idioms))
        out += _expand(rng, complaints, lang, k * len(complaints), spam=0, sentiment="negative")
    for lang, spam, ham in (("en", SPAM_EN, HAM_EN), ("fr", SPAM_FR, HAM_FR)):
        out += _expand(rng, spam, lang, k * len(spam), spam=1)
        out += _expand(rng, ham, lang, k * len(ham), spam=0)
    for lang, positive, neutral in (
        ("en", POSITIVE_EN, NEUTRAL_EN),
        ("fr", POSITIVE_FR, NEUTRAL_FR),
    ):
        out += _expand(rng, positive, lang, k * len(positive), spam=0, sentiment="positive")
        out += _expand(rng, neutral, lang, k * len(neutral), spam=0, sentiment="neutral")
    return out
