"""The rule language, and the HTTP models of the rule-set API.

A rule set is an ordered list of rules. For each comment the rules are tried in list order and
the first enabled rule whose conditions all hold decides: the list order *is* the priority. When
no rule matches, the comment is allowed (rule id `no_match`). Conditions left out do not apply, so
a rule without conditions matches every comment (a catch-all, usually last). See
docs/moderation.md, "Rules", for the language with an example.
"""

from __future__ import annotations

import re
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, Self, get_args
from uuid import UUID

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
    model_validator,
)

from beacon_shared.bounds import JsonBool, NonNegativeInt32
from beacon_shared.contracts.common import Network
from beacon_shared.contracts.ingest import InteractionKind
from beacon_shared.contracts.moderation import Intent, ModerationAction
from beacon_shared.pagination import DEFAULT_LIMIT, MAX_LIMIT
from moderation.rules.patterns import (
    MAX_KEYWORD_CHARS,
    MAX_PATTERN_CHARS,
    compile_keywords,
    compile_regex,
    normalise_keyword,
)

MAX_RULES = 200
MAX_ANY_OF_DEPTH = 3
# The rule id a verdict carries when no rule matched (the comment is allowed).
NO_MATCH = "no_match"
DRY_RUN_DEFAULT = 500
DRY_RUN_MAX = 5_000


def _is_none(value: object) -> bool:
    return value is None


def _is_empty(value: list[str]) -> bool:
    return not value


def _valid_keyword(keyword: str) -> str:
    normalise_keyword(keyword)
    return keyword


def _valid_regex(pattern: str) -> str:
    compile_regex(pattern)
    return pattern


def _author_ref(ref: str) -> str:
    if not ref.strip().lstrip("@"):
        raise ValueError("an author is a network id or a handle")
    return ref.strip()


_SLUG = re.compile(r"[a-z0-9](?:[a-z0-9._-]{0,62}[a-z0-9])?")
_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9:._-]{0,62}[a-z0-9])?")


def _rule_id(rule_id: str) -> str:
    if not _SLUG.fullmatch(rule_id):
        raise ValueError(
            "a rule id is a lowercase slug of 1 to 64 letters, digits, '.', '_' or '-', "
            "starting and ending with a letter or digit"
        )
    if rule_id == NO_MATCH:
        raise ValueError(f"{NO_MATCH!r} is reserved for comments no rule matched")
    return rule_id


def _label(label: str) -> str:
    if not _LABEL.fullmatch(label):
        raise ValueError("a label is 1 to 64 lowercase letters, digits, ':', '.', '_' or '-'")
    return label


# The length in the type too, so the OpenAPI document shows it (the validators check the rest).
Slug = Annotated[str, StringConstraints(min_length=1, max_length=64), AfterValidator(_rule_id)]
Label = Annotated[str, StringConstraints(min_length=1, max_length=64), AfterValidator(_label)]
Keyword = Annotated[
    str,
    StringConstraints(min_length=1, max_length=MAX_KEYWORD_CHARS),
    AfterValidator(_valid_keyword),
]
Regex = Annotated[
    str, StringConstraints(min_length=1, max_length=MAX_PATTERN_CHARS), AfterValidator(_valid_regex)
]
# The pattern bounds the length; maxLength only shows it in the document (and keeps the pattern's
# message for a long name such as "English").
LanguageCode = Annotated[
    str, StringConstraints(pattern=r"^[a-z]{2,3}$"), Field(json_schema_extra={"maxLength": 3})
]
AuthorRef = Annotated[
    str, StringConstraints(min_length=1, max_length=256), AfterValidator(_author_ref)
]


def _unset(**constraints: object) -> Any:
    """An optional condition or field: absent from the JSON when not set."""
    return Field(default=None, exclude_if=_is_none, **constraints)  # type: ignore[call-overload]


class _Range(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    min: float | None = _unset()
    max: float | None = _unset()

    @model_validator(mode="after")
    def _bounds(self) -> Self:
        if self.min is None and self.max is None:
            raise ValueError("give min, max or both")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError("min is above max")
        return self


class ScoreRange(_Range):
    """A classifier score in [0, 1]: holds when min ≤ score ≤ max (either bound may be left out)."""

    min: float | None = _unset(ge=0, le=1)
    max: float | None = _unset(ge=0, le=1)


class SentimentRange(_Range):
    """VADER's compound sentiment score in [-1, 1] (negative below -0.05, positive above 0.05)."""

    min: float | None = _unset(ge=-1, le=1)
    max: float | None = _unset(ge=-1, le=1)


class FollowerRange(_Range):
    """The author's follower count; an unknown count never matches."""

    min: NonNegativeInt32 | None = _unset(strict=True)  # a JSON integer, not `true`
    max: NonNegativeInt32 | None = _unset(strict=True)


class Keywords(BaseModel):
    """Whole words or phrases, case-insensitive, on the normalised text."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    any: list[Keyword] | None = Field(
        default=None, min_length=1, max_length=200, exclude_if=_is_none, description="At least one."
    )
    all: list[Keyword] | None = Field(
        default=None, min_length=1, max_length=20, exclude_if=_is_none, description="Every one."
    )

    @field_validator("any")
    @classmethod
    def _compiles(cls, keywords: list[str] | None) -> list[str] | None:
        if keywords is not None:
            compile_keywords(keywords)
        return keywords

    @model_validator(mode="after")
    def _something(self) -> Self:
        if self.any is None and self.all is None:
            raise ValueError("give `any`, `all` or both")
        return self


class When(BaseModel):
    """Conditions: every one given must hold; `any_of` holds when one of its groups does."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    toxicity: ScoreRange | None = _unset()
    spam: ScoreRange | None = _unset()
    insult: ScoreRange | None = _unset()
    threat: ScoreRange | None = _unset()
    hate: ScoreRange | None = _unset()
    obscene: ScoreRange | None = _unset()
    sentiment: SentimentRange | None = _unset()
    brand_model: JsonBool | None = Field(
        default=None,
        exclude_if=_is_none,
        description="The brand's own model, trained on its moderators' decisions, says remove "
        "(true) or keep (false); never holds while the brand has no model.",
    )
    keywords: Keywords | None = _unset()
    regex: Regex | None = Field(
        default=None,
        exclude_if=_is_none,
        description="RE2 syntax, case-insensitive, searched in the normalised text.",
    )
    has_link: JsonBool | None = _unset()
    has_email: JsonBool | None = _unset()
    has_phone: JsonBool | None = _unset()
    has_shortener: JsonBool | None = _unset()
    language_in: list[LanguageCode] | None = Field(
        default=None,
        min_length=1,
        max_length=50,
        exclude_if=_is_none,
        description="ISO 639-1 or und.",
    )
    network_in: list[Network] | None = Field(
        default=None, min_length=1, max_length=len(Network), exclude_if=_is_none
    )
    kind_in: list[InteractionKind] | None = Field(
        default=None, min_length=1, max_length=len(InteractionKind), exclude_if=_is_none
    )
    intent_in: list[Intent] | None = Field(
        default=None, min_length=1, max_length=len(get_args(Intent)), exclude_if=_is_none
    )
    intent_not_in: list[Intent] | None = Field(
        default=None, min_length=1, max_length=len(get_args(Intent)), exclude_if=_is_none
    )
    author_in: list[AuthorRef] | None = Field(
        default=None,
        min_length=1,
        max_length=1_000,
        exclude_if=_is_none,
        description="Network ids or handles (`@` optional, any case): an allow or block list.",
    )
    author_not_in: list[AuthorRef] | None = Field(
        default=None, min_length=1, max_length=1_000, exclude_if=_is_none
    )
    followers: FollowerRange | None = _unset()
    any_of: list[When] | None = Field(
        default=None, min_length=1, max_length=20, exclude_if=_is_none
    )

    @field_validator("any_of")
    @classmethod
    def _shallow(cls, groups: list[When] | None) -> list[When] | None:
        if groups is not None and 1 + max(g.depth() for g in groups) > MAX_ANY_OF_DEPTH:
            raise ValueError(f"any_of groups nest at most {MAX_ANY_OF_DEPTH} deep")
        return groups

    def depth(self) -> int:
        """How deep `any_of` groups nest in these conditions (0 without any)."""
        return 1 + max((g.depth() for g in self.any_of), default=0) if self.any_of else 0


class Then(BaseModel):
    """What a matching rule decides."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    action: ModerationAction
    reply_with: UUID | None = Field(
        default=None,
        validate_default=True,
        exclude_if=_is_none,
        description="A saved reply's id: required for `reply`, allowed with `hide`.",
    )
    assign_to: str | None = Field(
        default=None,
        min_length=1,
        max_length=256,
        exclude_if=_is_none,
        description="Who reviews it, with `flag` or `escalate`: the user id of a member who "
        "may moderate the brand.",
    )
    labels: list[Label] = Field(default_factory=list, max_length=20, exclude_if=_is_empty)

    @field_validator("reply_with")
    @classmethod
    def _reply_fits(cls, reply_with: UUID | None, info: ValidationInfo) -> UUID | None:
        action = info.data.get("action")
        if action is ModerationAction.reply and reply_with is None:
            raise ValueError("a `reply` rule needs reply_with, a saved reply id")
        if reply_with is not None and action not in (ModerationAction.reply, ModerationAction.hide):
            raise ValueError("reply_with goes with `reply` or `hide`")
        return reply_with

    @field_validator("assign_to")
    @classmethod
    def _assign_fits(cls, assign_to: str | None, info: ValidationInfo) -> str | None:
        action = info.data.get("action")
        if assign_to is not None and action not in (
            ModerationAction.flag,
            ModerationAction.escalate,
        ):
            raise ValueError("assign_to goes with `flag` or `escalate`")
        return assign_to


class Rule(BaseModel):
    """One rule: when every condition holds, `then` decides."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: Slug = Field(description="Lowercase slug, unique in the rule set; shows as `rule:<id>`.")
    name: str = Field(min_length=1, max_length=200)
    enabled: JsonBool = True
    when: When = Field(default_factory=When, description="Conditions; none means always.")
    then: Then


def _unique_ids(rules: list[Rule]) -> list[Rule]:
    seen: dict[str, int] = {}
    for index, rule in enumerate(rules):
        if rule.id in seen:
            raise ValueError(f"rule id {rule.id!r} is used by rules {seen[rule.id]} and {index}")
        seen[rule.id] = index
    return rules


RuleList = Annotated[
    list[Rule],
    Field(max_length=MAX_RULES, description="In priority order: the first matching rule decides."),
    AfterValidator(_unique_ids),
]


class RuleSetStatus(StrEnum):
    """draft → active → retired; `builtin` is version 0, the default rules (never stored)."""

    draft = "draft"
    active = "active"
    retired = "retired"
    builtin = "builtin"


class RuleSetCreate(BaseModel):
    """A new draft: its rules, or a copy of an existing version's (0: the default rules)."""

    model_config = ConfigDict(extra="forbid")

    rules: RuleList | None = None
    note: str | None = Field(default=None, max_length=2_000)
    copy_from: int | None = Field(
        default=None,
        strict=True,
        ge=0,
        le=2**31 - 1,
        validate_default=True,
        description="Copy the rules of this version (0: the default rules) instead of `rules`.",
    )

    @field_validator("copy_from")
    @classmethod
    def _one_source(cls, copy_from: int | None, info: ValidationInfo) -> int | None:
        has_rules = info.data.get("rules") is not None
        if copy_from is not None and has_rules:
            raise ValueError("give `rules` or `copy_from`, not both")
        if copy_from is None and not has_rules and "rules" in info.data:
            raise ValueError("give `rules` or `copy_from`")
        return copy_from


class RuleSetUpdate(BaseModel):
    """A draft's new rules and/or note; fields left out are kept."""

    model_config = ConfigDict(extra="forbid")

    rules: RuleList | None = None
    note: str | None = Field(default=None, max_length=2_000)


class RuleSetOut(BaseModel):
    """One version of a brand's rule set."""

    brand_id: str
    version: int = Field(description="1, 2, … per brand; 0 is the built-in default rules.")
    status: RuleSetStatus
    note: str | None
    rules: list[Rule]
    created_by: str
    created_at: datetime
    updated_at: datetime
    activated_by: str | None
    activated_at: datetime | None


class RuleSetSummary(BaseModel):
    """A version in the list, without its rules."""

    brand_id: str
    version: int
    status: RuleSetStatus
    note: str | None
    rule_count: int
    created_by: str
    created_at: datetime
    updated_at: datetime
    activated_by: str | None
    activated_at: datetime | None


class RuleSetQuery(BaseModel):
    """Paging of the version list."""

    model_config = ConfigDict(extra="forbid")

    cursor: str | None = Field(default=None, max_length=64, description="A next_cursor.")
    limit: int = Field(default=DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)


class RuleSetPage(BaseModel):
    """A page of versions, newest first."""

    items: list[RuleSetSummary]
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next page; null at the end."
    )


class DryRunQuery(BaseModel):
    """How many of the brand's latest stored comments to replay."""

    model_config = ConfigDict(extra="forbid")

    limit: int = Field(default=DRY_RUN_DEFAULT, ge=1, le=DRY_RUN_MAX)


class DryRunBody(BaseModel):
    """An unsaved rule set to try."""

    model_config = ConfigDict(extra="forbid")

    rules: RuleList


class Outcome(BaseModel):
    """What a rule set decides for one comment."""

    action: ModerationAction
    rule_id: str
    reply_with: UUID | None = None
    assign_to: str | None = None
    labels: list[str] = Field(default_factory=list)


class DryRunChange(BaseModel):
    """A comment the tried rules would decide differently."""

    interaction_id: UUID
    received_at: datetime
    author_handle: str | None
    excerpt: str
    current: Outcome
    proposed: Outcome


class ActionCount(BaseModel):
    """Comments decided with one action, now and with the tried rules."""

    current: int
    proposed: int


class DryRunReport(BaseModel):
    """The tried rules against the ones in effect, over the same stored comments."""

    brand_id: str
    version: int | None = Field(description="The version tried; null for an unsaved rule set.")
    current_version: int = Field(description="The version in effect (0: the default rules).")
    comments: int = Field(description="Comments replayed, the brand's newest first.")
    reclassified: int = Field(description="Of those, classified again (none was stored).")
    counts: dict[ModerationAction, ActionCount]
    changed: int = Field(description="Comments whose outcome would change.")
    changes: list[DryRunChange] = Field(description="Newest first, at most 1,000.")
