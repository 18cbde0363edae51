"""The rule language's validation, the default rules written in it, and the stored formats."""

from __future__ import annotations

import typing
import uuid

import pytest
from pydantic import TypeAdapter, ValidationError

from beacon_shared.contracts.moderation import ModerationAction
from moderation.classify import Classification
from moderation.classify.classifier import MODEL_VERSION
from moderation.classify.intent import INTENTS
from moderation.classify.signals import Signals
from moderation.rules import (
    DEFAULT_RULE_SET,
    RuleSet,
    Subject,
    classification_from_json,
    classification_to_json,
)
from moderation.rules.cache import RuleSetCache
from moderation.rules.default import DEFAULT_RULES
from moderation.rules.schemas import (
    MAX_RULES,
    Intent,
    RuleList,
    RuleSetCreate,
    RuleSetUpdate,
)

RULES = TypeAdapter(RuleList)


def classified(**overrides: object) -> Classification:
    values: dict[str, object] = {
        "language": "en",
        "toxicity": 0.1,
        "spam": 0.1,
        "spam_reasons": (),
        "sentiment": "neutral",
        "sentiment_score": 0.0,
        "intents": (),
        "signals": Signals(links=0, shorteners=0, emails=0, phones=0),
    }
    values.update(overrides)
    return Classification(**values)


def rule(**overrides: object) -> dict[str, object]:
    values: dict[str, object] = {"id": "r1", "name": "A rule", "then": {"action": "hide"}}
    values.update(overrides)
    return values


def errors_of(rules: list[dict[str, object]]) -> list[tuple[tuple[object, ...], str]]:
    with pytest.raises(ValidationError) as caught:
        RULES.validate_python(rules)
    return [(tuple(e["loc"]), e["msg"]) for e in caught.value.errors()]


class TestValidRuleSets:
    def test_a_rule_set_round_trips_through_its_stored_json(self):
        rules = RULES.validate_python(
            [
                rule(
                    id="crypto",
                    when={
                        "keywords": {"any": ["bitcoin", "ETH giveaway"]},
                        "regex": r"\d+x\s+profit",
                        "has_link": True,
                        "language_in": ["en", "fr"],
                        "network_in": ["instagram"],
                        "kind_in": ["comment"],
                        "intent_not_in": ["question"],
                        "author_not_in": ["@brand"],
                        "followers": {"max": 100},
                        "any_of": [{"spam": {"min": 0.5}}, {"toxicity": {"min": 0.5}}],
                    },
                    then={"action": "hide", "reply_with": str(uuid.uuid4()), "labels": ["scam"]},
                ),
                rule(id="vip", when={"author_in": ["@vip"]}, then={"action": "allow"}),
            ]
        )
        stored = [r.model_dump(mode="json") for r in rules]
        assert RULES.validate_python(stored) == rules
        assert "toxicity" not in stored[0]["when"]  # conditions not given are left out

    def test_every_action_is_a_valid_then(self):
        for action in ModerationAction:
            then: dict[str, object] = {"action": action.value}
            if action is ModerationAction.reply:
                then["reply_with"] = str(uuid.uuid4())
            RULES.validate_python([rule(then=then)])

    def test_the_intents_are_the_classifier_s(self):
        assert set(typing.get_args(Intent)) == set(INTENTS)


class TestRejectedRuleSets:
    @pytest.mark.parametrize(
        ("changes", "loc", "message"),
        [
            ({"id": "Has Spaces"}, (0, "id"), "lowercase slug"),
            ({"id": "no_match"}, (0, "id"), "reserved"),
            ({"name": ""}, (0, "name"), "at least 1 character"),
            ({"when": {"spamm": {"min": 0.5}}}, (0, "when", "spamm"), "Extra inputs"),
            ({"when": {"spam": {}}}, (0, "when", "spam"), "give min, max or both"),
            ({"when": {"spam": {"min": 0.8, "max": 0.2}}}, (0, "when", "spam"), "min is above max"),
            (
                {"when": {"toxicity": {"min": 1.5}}},
                (0, "when", "toxicity", "min"),
                "less than or equal to 1",
            ),
            (
                {"when": {"sentiment": {"min": -2}}},
                (0, "when", "sentiment", "min"),
                "greater than or equal to -1",
            ),
            (
                {"when": {"followers": {"min": -1}}},
                (0, "when", "followers", "min"),
                "greater than or equal to 0",
            ),
            ({"when": {"keywords": {}}}, (0, "when", "keywords"), "give `any`, `all` or both"),
            (
                {"when": {"keywords": {"any": ["\u200b "]}}},
                (0, "when", "keywords", "any", 0),
                "empty once normalised",
            ),
            (
                {"when": {"intent_in": ["gratitude"]}},
                (0, "when", "intent_in", 0),
                "Input should be",
            ),
            (
                {"when": {"network_in": ["myspace"]}},
                (0, "when", "network_in", 0),
                "Input should be",
            ),
            ({"when": {"language_in": ["English"]}}, (0, "when", "language_in", 0), "pattern"),
            (
                {"when": {"followers": {"min": True}}},
                (0, "when", "followers", "min"),
                "valid integer",
            ),
            (
                {"when": {"followers": {"max": 2**31}}},
                (0, "when", "followers", "max"),
                "less than or equal to 2147483647",
            ),
            ({"when": {"author_in": ["@"]}}, (0, "when", "author_in", 0), "network id or a handle"),
            ({"then": {"action": "banish"}}, (0, "then", "action"), "Input should be"),
            ({"then": {"action": "reply"}}, (0, "then", "reply_with"), "needs reply_with"),
            (
                {"then": {"action": "allow", "reply_with": str(uuid.uuid4())}},
                (0, "then", "reply_with"),
                "goes with `reply` or `hide`",
            ),
            (
                {"then": {"action": "hide", "assign_to": "bob"}},
                (0, "then", "assign_to"),
                "goes with `flag` or `escalate`",
            ),
            (
                {"then": {"action": "flag", "labels": ["Not A Label"]}},
                (0, "then", "labels", 0),
                "a label is",
            ),
        ],
    )
    def test_a_bad_rule_names_the_field_and_why(self, changes, loc, message):
        ((found_loc, found_message),) = errors_of([rule(**changes)])
        assert found_loc == loc
        assert message in found_message

    @pytest.mark.parametrize(
        "pattern",
        [
            r"(a)\1",  # backreference
            r"(?=spam)",  # look-ahead
            r"(?<!x)y",  # look-behind
            "[unclosed",
            "a{1001}",  # over RE2's repetition limit
            "a" * 501,  # over the length limit
        ],
    )
    def test_an_unsafe_or_invalid_regex_is_rejected(self, pattern):
        ((loc, _),) = errors_of([rule(when={"regex": pattern})])
        assert loc == (0, "when", "regex")

    def test_rule_ids_are_unique(self):
        ((loc, message),) = errors_of([rule(), rule()])
        assert loc == ()
        assert "'r1' is used by rules 0 and 1" in message

    def test_any_of_groups_nest_three_deep_at_most(self):
        deep: dict[str, object] = {"spam": {"min": 0.5}}
        for _ in range(4):
            deep = {"any_of": [deep]}
        ((loc, message),) = errors_of([rule(when=deep)])
        assert loc == (0, "when", "any_of")
        assert "at most 3" in message

    def test_a_rule_set_has_at_most_so_many_rules(self):
        errors = errors_of([rule(id=f"r{i}") for i in range(MAX_RULES + 1)])
        assert "at most 200" in errors[0][1]


class TestRuleSetBodies:
    def test_a_draft_takes_rules_or_a_version_to_copy(self):
        assert RuleSetCreate.model_validate({"rules": []}).rules == []
        assert RuleSetCreate.model_validate({"copy_from": 0}).copy_from == 0

    @pytest.mark.parametrize("body", [{}, {"rules": [], "copy_from": 1}, {"note": "x"}])
    def test_a_draft_without_rules_or_with_both_is_rejected(self, body):
        with pytest.raises(ValidationError) as caught:
            RuleSetCreate.model_validate(body)
        assert caught.value.errors()[0]["loc"] == ("copy_from",)

    def test_an_update_keeps_what_it_leaves_out(self):
        update = RuleSetUpdate.model_validate({"note": None})
        assert update.rules is None
        assert "note" in update.model_fields_set


class TestDefaultRules:
    def test_the_default_rules_are_version_0_in_the_rule_language(self):
        assert DEFAULT_RULE_SET.version == 0
        assert [r.id for r in DEFAULT_RULES] == [
            "default.spam",
            "default.spam_question",
            "default.toxic",
            "default.brand_model",
            "default.allow",
        ]
        stored = [r.model_dump(mode="json") for r in DEFAULT_RULES]
        copy = RuleSet(RULES.validate_python(stored), version=1)
        assert copy.rules == DEFAULT_RULE_SET.rules

    @pytest.mark.parametrize(
        ("scores", "intents", "action", "rule_id"),
        [
            ({"spam": 0.8}, (), ModerationAction.hide, "default.spam"),
            ({"spam": 0.8}, ("question",), ModerationAction.flag, "default.spam_question"),
            ({"spam": 0.96}, ("question",), ModerationAction.hide, "default.spam"),
            ({"toxicity": 0.6}, (), ModerationAction.flag, "default.toxic"),
            ({"spam": 0.8, "toxicity": 0.9}, (), ModerationAction.hide, "default.spam"),
            (
                {"spam": 0.74, "toxicity": 0.49},
                ("question",),
                ModerationAction.allow,
                "default.allow",
            ),
        ],
    )
    def test_the_default_thresholds(self, scores, intents, action, rule_id):
        subject = Subject(
            text="hello",
            network="instagram",
            kind="comment",
            author_id="u-1",
            author_handle=None,
            followers=None,
            classification=classified(intents=intents, **scores),
        )
        verdict = DEFAULT_RULE_SET.evaluate(subject)
        assert (verdict.action, verdict.rule_id, verdict.rule_set_version) == (action, rule_id, 0)


class TestStoredClassification:
    def test_a_classification_round_trips_through_json(self):
        c = classified(
            spam=0.8,
            spam_reasons=("smm_panel",),
            sentiment="positive",
            sentiment_score=0.6,
            intents=("praise",),
        )
        stored = classification_to_json(c)
        assert stored["model_version"] == MODEL_VERSION
        assert classification_from_json(stored) == c

    @pytest.mark.parametrize("stored", [None, {}, {"language": "en"}, {"spam": "high"}])
    def test_a_missing_or_unreadable_classification_is_none(self, stored):
        assert classification_from_json(stored) is None


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class TestRuleSetCache:
    def test_an_entry_lives_for_its_ttl(self):
        clock = FakeClock()
        cache = RuleSetCache(ttl_seconds=5, clock=clock)
        cache.put(("t", "b"), DEFAULT_RULE_SET)
        clock.now += 4.9
        assert cache.get(("t", "b")) is DEFAULT_RULE_SET
        clock.now += 0.1
        assert cache.get(("t", "b")) is None

    def test_an_invalidated_entry_is_gone_at_once(self):
        cache = RuleSetCache(clock=FakeClock())
        cache.put(("t", "b"), DEFAULT_RULE_SET)
        cache.put(("t", "other"), DEFAULT_RULE_SET)
        cache.invalidate(("t", "b"))
        assert cache.get(("t", "b")) is None
        assert cache.get(("t", "other")) is DEFAULT_RULE_SET

    def test_a_full_cache_starts_over(self):
        cache = RuleSetCache(max_entries=2, clock=FakeClock())
        for brand in ("a", "b", "c"):
            cache.put(("t", brand), DEFAULT_RULE_SET)
        assert cache.get(("t", "a")) is None
        assert cache.get(("t", "c")) is DEFAULT_RULE_SET
