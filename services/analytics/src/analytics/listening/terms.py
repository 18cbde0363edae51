"""The terms of a text that trends count: hashtags and keywords.

Kept simple on purpose and stated in docs/analytics.md:
- hashtags: `#` followed by 2 to 64 word characters with at least one letter, casefolded
  (`#Coffee` and `#coffee` are one term, written `#coffee`);
- keywords: the remaining words (letters, inner hyphens; apostrophes split words, so French
  elisions like l'équipe give équipe), casefolded, at least 3 letters, not an English or French
  stop word; links, @mentions and numbers are left out;
- each term counts once per text, and a text gives at most MAX_TERMS terms.
"""

from __future__ import annotations

import re

MAX_TERMS = 40
MAX_LENGTH = 64

_LINK = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
_MENTION = re.compile(r"(?<!\w)@[\w.@-]+")
_HASHTAG = re.compile(r"(?<![\w#&])#(\w{2,64})")
_WORD = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)*")

_ENGLISH = """
    a about above after again against all also am an and any are aren as at be because been
    before being below between both but by can cannot could couldn did didn do does doesn doing
    don down during each even ever few for from further get got had hadn has hasn have haven
    having he her here hers herself him himself his how however i if in into is isn it its
    itself just let like ll me more most much must mustn my myself no nor not now of off on
    once only or other ought our ours ourselves out over own really same say says shan she
    should shouldn so some such than that the their theirs them themselves then there these
    they this those though through to too under until up upon us very via was wasn we were
    weren what when where which while who whom why will with won would wouldn yes yet you your
    yours yourself yourselves ve re
"""
_FRENCH = """
    ai aie aient aies ait alors as au aucun aussi autre aux avec avais avait avant avez aviez
    avions avoir avons ayant bah bien car ce ceci cela celle celles celui ces cet cette ceux
    chez ci comme comment dans des donc dont du elle elles en encore es est et eu eux fait
    faire fois font hui ici il ils je jusqu la le les leur leurs lui ma mais me meme mes moi
    mon ne ni nos notre nous on ont ou par pas peu peut plus pour pourquoi quand que quel
    quelle quelles quels qui quoi sa sans se ses si sien son sont sous sur ta te tes toi ton
    tous tout toute toutes tres trop tu un une vos votre vous vu ça aujourd été être très déjà
    où
"""
STOP_WORDS = frozenset(_ENGLISH.split()) | frozenset(_FRENCH.split())


def hashtags(text: str) -> list[str]:
    """The text's hashtags, casefolded with their `#`, in order of first appearance."""
    seen: dict[str, None] = {}
    for match in _HASHTAG.finditer(_LINK.sub(" ", text)):
        tag = match.group(1).casefold()
        if any(c.isalpha() for c in tag):
            seen.setdefault(f"#{tag}", None)
    return list(seen)


def keywords(text: str) -> list[str]:
    """The text's keywords, casefolded, in order of first appearance."""
    plain = _HASHTAG.sub(" ", _MENTION.sub(" ", _LINK.sub(" ", text)))
    seen: dict[str, None] = {}
    for match in _WORD.finditer(plain):
        word = match.group(0).casefold()
        if len(word) >= 3 and len(word) <= MAX_LENGTH and word not in STOP_WORDS:
            seen.setdefault(word, None)
    return list(seen)


def terms_of(text: str) -> list[str]:
    """Hashtags, then keywords, each once, at most MAX_TERMS."""
    return [*hashtags(text), *keywords(text)][:MAX_TERMS]


def is_hashtag(term: str) -> bool:
    """Whether a counted term is a hashtag (else a keyword)."""
    return term.startswith("#")
