"""The rule engine: a validated rule list is compiled once, then evaluated for every comment.

Evaluation is pure and does no I/O: conditions become small closures over precomputed sets and
RE2 programs, rules are tried in list order and the first enabled rule whose conditions all hold
decides. Text is normalised (and encoded for RE2) only when a keyword or regex condition asks.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from beacon_shared.contracts.ingest import CommentReceived
from beacon_shared.contracts.moderation import ModerationAction
from moderation.classify import Classification
from moderation.classify.text import normalise
from moderation.rules.patterns import compile_keywords, compile_regex, normalise_keyword
from moderation.rules.policy import Verdict
from moderation.rules.schemas import NO_MATCH, Keywords, Rule, When


@dataclass(frozen=True, slots=True)
class Subject:
    """What the rules see of one comment: text, author, origin and classification."""

    text: str
    network: str
    kind: str
    author_id: str
    author_handle: str | None
    followers: int | None
    classification: Classification
    # The brand's own model (learning): its probability of "remove" and whether that passes the
    # model's threshold; None while the brand has no model.
    brand: BrandScore | None = None

    @classmethod
    def of(
        cls,
        comment: CommentReceived,
        classification: Classification,
        brand: BrandScore | None = None,
    ) -> Subject:
        """From a received comment and its classification."""
        return cls(
            text=comment.text,
            network=comment.network.value,
            kind=comment.kind.value,
            author_id=comment.author.network_id,
            author_handle=comment.author.handle,
            followers=comment.author.follower_count,
            classification=classification,
            brand=brand,
        )


@dataclass(frozen=True, slots=True)
class BrandScore:
    """What the brand's model says of one comment."""

    remove: float
    threshold: float

    @property
    def says_remove(self) -> bool:
        return self.remove >= self.threshold


class _Facts:
    """One subject as the checks read it; the normalised text is built on first use."""

    __slots__ = ("_text", "c", "handle", "subject")

    def __init__(self, subject: Subject) -> None:
        self.subject = subject
        self.c = subject.classification
        self.handle = _handle_key(subject.author_handle) if subject.author_handle else None
        self._text: bytes | None = None

    @property
    def text(self) -> bytes:
        if self._text is None:
            self._text = normalise(self.subject.text).encode("utf-8", "replace")
        return self._text


# A condition: None when it does not hold, else the reasons it contributes (often none).
_Check = Callable[[_Facts], tuple[str, ...] | None]
_HOLDS: tuple[str, ...] = ()


def _handle_key(handle: str) -> str:
    return handle.strip().lstrip("@").casefold()


def _range(
    value: Callable[[_Facts], float | None],
    low: float | None,
    high: float | None,
    reasons: Callable[[_Facts], tuple[str, ...]] | None = None,
) -> _Check:
    def check(f: _Facts) -> tuple[str, ...] | None:
        v = value(f)
        if v is None or (low is not None and v < low) or (high is not None and v > high):
            return None
        return reasons(f) if reasons is not None else _HOLDS

    return check


def _spam_reasons(f: _Facts) -> tuple[str, ...]:
    return tuple(f"spam:{reason}" for reason in f.c.spam_reasons)


def _toxic(_: _Facts) -> tuple[str, ...]:
    return ("toxic",)


def _toxicity_kind(kind: str, low: float | None, high: float | None) -> _Check:
    reasons = (f"toxic:{kind}",)
    return _range(
        lambda f: f.c.toxicity_kinds.get(kind, 0.0),
        low,
        high,
        (lambda _: reasons) if low is not None else None,
    )


def _signal(name: str, count: Callable[[_Facts], int], wanted: bool) -> _Check:
    reasons = (name,) if wanted else _HOLDS

    def check(f: _Facts) -> tuple[str, ...] | None:
        return reasons if (count(f) > 0) is wanted else None

    return check


def _member(value: Callable[[_Facts], str], allowed: Iterable[str]) -> _Check:
    values = frozenset(allowed)

    def check(f: _Facts) -> tuple[str, ...] | None:
        return _HOLDS if value(f) in values else None

    return check


def _intents(listed: Iterable[str], *, present: bool) -> _Check:
    wanted = frozenset(listed)

    def check(f: _Facts) -> tuple[str, ...] | None:
        found = tuple(f"intent:{i}" for i in f.c.intents if i in wanted)
        if present:
            return found or None
        return None if found else _HOLDS

    return check


def _authors(refs: Iterable[str], *, listed: bool) -> _Check:
    ids = frozenset(refs)
    handles = frozenset(_handle_key(ref) for ref in ids)
    reasons = ("author:listed",) if listed else _HOLDS

    def check(f: _Facts) -> tuple[str, ...] | None:
        found = f.subject.author_id in ids or (f.handle is not None and f.handle in handles)
        return reasons if found is listed else None

    return check


def _keywords(keywords: Keywords) -> list[_Check]:
    checks: list[_Check] = []
    if keywords.any is not None:
        checks.append(_any_keyword(keywords.any))
    if keywords.all is not None:
        words = sorted({normalise_keyword(k) for k in keywords.all})
        matchers = [compile_keywords([word]) for word in words]
        all_reasons = tuple(f"keyword:{word}" for word in words)
        checks.append(lambda f: all_reasons if all(m.search(f.text) for m in matchers) else None)
    return checks


def _any_keyword(keywords: Sequence[str]) -> _Check:
    matcher = compile_keywords(keywords)
    # Longest first, as the pattern tries them: the reason names the keyword that matched.
    words = sorted({normalise_keyword(k) for k in keywords}, key=len, reverse=True)

    def check(f: _Facts) -> tuple[str, ...] | None:
        found = matcher.find(f.text)
        if found is None:
            return None
        return (next((f"keyword:{w}" for w in words if w in found), "keyword"),)

    return check


def _brand_model(wanted: bool) -> _Check:
    reason = ("brand_model:remove",) if wanted else ("brand_model:keep",)

    def check(f: _Facts) -> tuple[str, ...] | None:
        brand = f.subject.brand
        return reason if brand is not None and brand.says_remove == wanted else None

    return check


def _regex(pattern: str) -> _Check:
    matcher = compile_regex(pattern)
    reasons = ("regex",)
    return lambda f: reasons if matcher.search(f.text) else None


def _any_of(groups: Sequence[When]) -> _Check:
    compiled = [_compile_when(group) for group in groups]

    def check(f: _Facts) -> tuple[str, ...] | None:
        for checks in compiled:
            reasons = _all_hold(checks, f)
            if reasons is not None:
                return reasons
        return None

    return check


def _compile_when(when: When) -> tuple[_Check, ...]:
    """The conditions as checks, cheapest first: text matching comes after every score."""
    checks: list[_Check] = []
    if when.network_in is not None:
        checks.append(_member(lambda f: f.subject.network, when.network_in))
    if when.kind_in is not None:
        checks.append(_member(lambda f: f.subject.kind, when.kind_in))
    if when.language_in is not None:
        checks.append(_member(lambda f: f.c.language, when.language_in))
    if when.author_in is not None:
        checks.append(_authors(when.author_in, listed=True))
    if when.author_not_in is not None:
        checks.append(_authors(when.author_not_in, listed=False))
    if when.followers is not None:
        checks.append(_range(lambda f: f.subject.followers, when.followers.min, when.followers.max))
    if when.spam is not None:
        low, high = when.spam.min, when.spam.max
        checks.append(
            _range(lambda f: f.c.spam, low, high, _spam_reasons if low is not None else None)
        )
    if when.toxicity is not None:
        low, high = when.toxicity.min, when.toxicity.max
        checks.append(
            _range(lambda f: f.c.toxicity, low, high, _toxic if low is not None else None)
        )
    for kind, bounds in (
        ("insult", when.insult),
        ("threat", when.threat),
        ("hate", when.hate),
        ("obscene", when.obscene),
    ):
        if bounds is not None:
            checks.append(_toxicity_kind(kind, bounds.min, bounds.max))
    if when.sentiment is not None:
        checks.append(_range(lambda f: f.c.sentiment_score, when.sentiment.min, when.sentiment.max))
    if when.brand_model is not None:
        checks.append(_brand_model(when.brand_model))
    for name, count, wanted in (
        ("link", lambda f: f.c.signals.links, when.has_link),
        ("shortener", lambda f: f.c.signals.shorteners, when.has_shortener),
        ("email", lambda f: f.c.signals.emails, when.has_email),
        ("phone", lambda f: f.c.signals.phones, when.has_phone),
    ):
        if wanted is not None:
            checks.append(_signal(name, count, wanted))
    if when.intent_in is not None:
        checks.append(_intents(when.intent_in, present=True))
    if when.intent_not_in is not None:
        checks.append(_intents(when.intent_not_in, present=False))
    if when.keywords is not None:
        checks.extend(_keywords(when.keywords))
    if when.regex is not None:
        checks.append(_regex(when.regex))
    if when.any_of is not None:
        checks.append(_any_of(when.any_of))
    return tuple(checks)


def _all_hold(checks: Sequence[_Check], f: _Facts) -> tuple[str, ...] | None:
    reasons: tuple[str, ...] = ()
    for check in checks:
        found = check(f)
        if found is None:
            return None
        reasons += found
    return reasons


@dataclass(frozen=True, slots=True)
class _Compiled:
    rule: Rule
    checks: tuple[_Check, ...]


class RuleSet:
    """A brand's rules, compiled: `evaluate` runs for every comment and never does I/O."""

    def __init__(self, rules: Sequence[Rule], *, version: int) -> None:
        self.version = version
        self.rules = tuple(rules)
        self._compiled = tuple(_Compiled(r, _compile_when(r.when)) for r in self.rules if r.enabled)

    def evaluate(self, subject: Subject) -> Verdict:
        """The verdict of the first enabled rule whose conditions all hold (else: allow)."""
        facts = _Facts(subject)
        for compiled in self._compiled:
            reasons = _all_hold(compiled.checks, facts)
            if reasons is not None:
                return self._verdict(subject, compiled.rule, reasons)
        return self._verdict(subject, None, ())

    def evaluate_many(self, subjects: Iterable[Subject]) -> list[Verdict]:
        """One verdict per subject, in order."""
        return [self.evaluate(subject) for subject in subjects]

    def _verdict(self, subject: Subject, rule: Rule | None, reasons: Sequence[str]) -> Verdict:
        c = subject.classification
        scores = {
            "toxicity": round(c.toxicity, 4),
            **{kind: round(score, 4) for kind, score in c.toxicity_kinds.items()},
            "spam": round(c.spam, 4),
            "sentiment": c.sentiment_score,
        }
        if subject.brand is not None:
            scores["brand_model"] = round(subject.brand.remove, 4)
        if rule is None:
            return Verdict(
                ModerationAction.allow,
                NO_MATCH,
                scores=scores,
                model_version=c.model_version,
                rule_set_version=self.version,
                classification=c,
            )
        return Verdict(
            rule.then.action,
            rule.id,
            reasons=list(dict.fromkeys(reasons)),
            scores=scores,
            model_version=c.model_version,
            rule_set_version=self.version,
            reply_with=rule.then.reply_with,
            assign_to=rule.then.assign_to,
            labels=tuple(rule.then.labels),
            classification=c,
        )
