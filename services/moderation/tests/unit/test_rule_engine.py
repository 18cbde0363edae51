"""The rule engine: each condition kind, priority order, disabled rules, safe regexes, verdicts."""

from __future__ import annotations

import uuid

import pytest
from pydantic import TypeAdapter

from beacon_shared.contracts.common import Author
from beacon_shared.contracts.moderation import ModerationAction
from moderation.classify import Classification
from moderation.classify.signals import Signals
from moderation.rules import RuleSet, Subject
from moderation.rules.classification import classification_from_json, classification_to_json
from moderation.rules.schemas import NO_MATCH, RuleList

RULES = TypeAdapter(RuleList)


def classified(**overrides: object) -> Classification:
    """A classification as the classifier might give it, with no model involved."""
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


def subject(text: str = "Nice post", **overrides: object) -> Subject:
    values: dict[str, object] = {
        "text": text,
        "network": "instagram",
        "kind": "comment",
        "author_id": "u-1",
        "author_handle": "Alice",
        "followers": 120,
        "classification": classified(),
    }
    values.update(overrides)
    return Subject(**values)


def rule_set(*rules: dict[str, object], version: int = 7) -> RuleSet:
    return RuleSet(RULES.validate_python(list(rules)), version=version)


def when(conditions: dict[str, object], action: str = "hide") -> RuleSet:
    """One rule with these conditions; anything else falls through to no_match (allow)."""
    return rule_set({"id": "r", "name": "rule", "when": conditions, "then": {"action": action}})


def matches(conditions: dict[str, object], s: Subject) -> bool:
    return when(conditions).evaluate(s).rule_id == "r"


class TestPriority:
    def test_the_first_matching_rule_in_list_order_decides(self):
        rules = rule_set(
            {
                "id": "first",
                "name": "1",
                "when": {"spam": {"min": 0.5}},
                "then": {"action": "flag"},
            },
            {
                "id": "second",
                "name": "2",
                "when": {"spam": {"min": 0.5}},
                "then": {"action": "hide"},
            },
        )
        verdict = rules.evaluate(subject(classification=classified(spam=0.9)))
        assert (verdict.action, verdict.rule_id) == (ModerationAction.flag, "first")

    def test_a_later_rule_decides_when_earlier_ones_do_not_match(self):
        rules = rule_set(
            {
                "id": "toxic",
                "name": "t",
                "when": {"toxicity": {"min": 0.5}},
                "then": {"action": "flag"},
            },
            {"id": "spam", "name": "s", "when": {"spam": {"min": 0.5}}, "then": {"action": "hide"}},
        )
        verdict = rules.evaluate(subject(classification=classified(spam=0.9)))
        assert verdict.rule_id == "spam"

    def test_a_disabled_rule_is_skipped(self):
        rules = rule_set(
            {"id": "off", "name": "o", "enabled": False, "then": {"action": "delete"}},
            {"id": "on", "name": "o", "then": {"action": "flag"}},
        )
        assert rules.evaluate(subject()).rule_id == "on"

    def test_without_a_matching_rule_the_comment_is_allowed(self):
        verdict = when({"spam": {"min": 0.9}}).evaluate(subject())
        assert (verdict.action, verdict.rule_id) == (ModerationAction.allow, NO_MATCH)
        assert verdict.rule_set_version == 7

    def test_an_empty_rule_set_allows_everything(self):
        assert rule_set().evaluate(subject()).action is ModerationAction.allow

    def test_a_rule_without_conditions_matches_every_comment(self):
        assert matches({}, subject(""))


class TestScores:
    @pytest.mark.parametrize(
        ("bounds", "score", "expected"),
        [
            ({"min": 0.5}, 0.5, True),
            ({"min": 0.5}, 0.49, False),
            ({"max": 0.2}, 0.2, True),
            ({"max": 0.2}, 0.21, False),
            ({"min": 0.2, "max": 0.4}, 0.3, True),
            ({"min": 0.2, "max": 0.4}, 0.5, False),
        ],
    )
    def test_toxicity_and_spam_hold_within_their_bounds(self, bounds, score, expected):
        assert (
            matches({"toxicity": bounds}, subject(classification=classified(toxicity=score)))
            is expected
        )
        assert matches({"spam": bounds}, subject(classification=classified(spam=score))) is expected

    def test_sentiment_reads_the_compound_score(self):
        angry = subject(classification=classified(sentiment="negative", sentiment_score=-0.7))
        assert matches({"sentiment": {"max": -0.5}}, angry)
        assert not matches({"sentiment": {"min": 0}}, angry)

    def test_a_spam_threshold_gives_the_classifier_s_spam_reasons(self):
        spam = classified(spam=0.9, spam_reasons=("smm_panel", "cheap_price"))
        verdict = when({"spam": {"min": 0.75}}).evaluate(subject(classification=spam))
        assert list(verdict.reasons) == ["spam:smm_panel", "spam:cheap_price"]

    def test_a_toxicity_threshold_gives_the_toxic_reason(self):
        verdict = when({"toxicity": {"min": 0.5}}).evaluate(
            subject(classification=classified(toxicity=0.8))
        )
        assert list(verdict.reasons) == ["toxic"]

    @pytest.mark.parametrize("kind", ["insult", "threat", "hate", "obscene"])
    def test_each_kind_of_toxicity_is_a_condition_with_its_reason(self, kind):
        kinds = {"insult": 0.1, "threat": 0.1, "hate": 0.1, "obscene": 0.1}
        high = classified(toxicity=0.9, toxicity_kinds={**kinds, kind: 0.9})
        low = classified(toxicity=0.9, toxicity_kinds=kinds)
        rules = when({kind: {"min": 0.7}})

        verdict = rules.evaluate(subject(classification=high))
        assert verdict.rule_id == "r"
        assert list(verdict.reasons) == [f"toxic:{kind}"]
        assert verdict.scores[kind] == 0.9
        assert rules.evaluate(subject(classification=low)).rule_id == NO_MATCH

    def test_a_classification_stored_without_kinds_reads_them_as_zero(self):
        assert not matches({"threat": {"min": 0.1}}, subject())
        assert matches({"threat": {"max": 0.1}}, subject())


class TestKeywords:
    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            ("Best SMM Panel in town", True),
            ("best smm panel.", True),
            ("smm\u200b panel", True),  # a zero-width space does not split the phrase
            ("\uff53\uff4d\uff4d \uff50\uff41\uff4e\uff45\uff4c", True),  # full-width letters
            ("smm panels everywhere", False),  # whole words only
            ("xsmm panel", False),
            ("smm and a panel", False),
        ],
    )
    def test_any_matches_whole_words_case_insensitively_on_normalised_text(self, text, expected):
        assert matches({"keywords": {"any": ["SMM panel", "crypto"]}}, subject(text)) is expected

    def test_words_in_other_scripts_are_whole_words_too(self):
        assert matches({"keywords": {"any": ["café"]}}, subject("Le CAFÉ est froid"))
        assert not matches({"keywords": {"any": ["caf"]}}, subject("le café"))

    def test_all_needs_every_keyword(self):
        conditions = {"keywords": {"all": ["refund", "broken"]}}
        assert matches(conditions, subject("It arrived broken, I want a refund"))
        assert not matches(conditions, subject("I want a refund"))

    def test_the_reason_names_the_keyword_that_matched(self):
        verdict = when({"keywords": {"any": ["refund", "money back"]}}).evaluate(
            subject("Give me my MONEY BACK")
        )
        assert list(verdict.reasons) == ["keyword:money back"]


class TestRegex:
    def test_a_regex_searches_the_normalised_text_case_insensitively(self):
        conditions = {"regex": r"order\s*#?\d{4,}"}
        assert matches(conditions, subject("Where is ORDER #12345?"))
        assert not matches(conditions, subject("Where is my order?"))

    def test_a_pattern_that_backtracks_catastrophically_elsewhere_runs_in_linear_time(self):
        # (a+)+$ takes exponential time in a backtracking engine on "aaaa…b"; RE2 does not.
        verdict = when({"regex": "(a+)+$"}).evaluate(subject("a" * 50_000 + "b"))
        assert verdict.rule_id == NO_MATCH


class TestSignals:
    @pytest.mark.parametrize("signal", ["link", "email", "phone", "shortener"])
    def test_has_a_signal_or_has_not(self, signal):
        counts = {"links": 0, "shorteners": 0, "emails": 0, "phones": 0}
        field = {"link": "links", "email": "emails", "phone": "phones", "shortener": "shorteners"}
        with_it = subject(
            classification=classified(signals=Signals(**{**counts, field[signal]: 1}))
        )
        without = subject()
        assert matches({f"has_{signal}": True}, with_it)
        assert not matches({f"has_{signal}": True}, without)
        assert matches({f"has_{signal}": False}, without)
        assert not matches({f"has_{signal}": False}, with_it)


class TestOrigin:
    def test_language_in(self):
        french = subject(classification=classified(language="fr"))
        assert matches({"language_in": ["fr", "es"]}, french)
        assert not matches({"language_in": ["en"]}, french)

    def test_network_in(self):
        assert matches({"network_in": ["instagram", "x"]}, subject())
        assert not matches({"network_in": ["facebook"]}, subject())

    def test_kind_in(self):
        assert matches({"kind_in": ["comment", "reply"]}, subject())
        assert not matches({"kind_in": ["direct_message"]}, subject(kind="mention"))

    def test_intent_in_and_not_in(self):
        asking = subject(classification=classified(intents=("question", "purchase_intent")))
        assert matches({"intent_in": ["complaint", "question"]}, asking)
        assert not matches({"intent_in": ["complaint"]}, asking)
        assert matches({"intent_not_in": ["complaint"]}, asking)
        assert not matches({"intent_not_in": ["question"]}, asking)
        verdict = when({"intent_in": ["question"]}).evaluate(asking)
        assert list(verdict.reasons) == ["intent:question"]


class TestAuthors:
    @pytest.mark.parametrize("ref", ["u-1", "alice", "@alice", "@ALICE"])
    def test_an_author_is_listed_by_network_id_or_handle(self, ref):
        assert matches({"author_in": [ref]}, subject())
        assert not matches({"author_not_in": [ref]}, subject())

    def test_an_author_not_listed(self):
        assert not matches({"author_in": ["bob", "u-2"]}, subject())
        assert matches({"author_not_in": ["bob", "u-2"]}, subject())

    def test_an_allow_list_before_a_block_rule_lets_the_author_through(self):
        rules = rule_set(
            {
                "id": "vip",
                "name": "v",
                "when": {"author_in": ["@alice"]},
                "then": {"action": "allow"},
            },
            {"id": "links", "name": "l", "when": {"has_link": True}, "then": {"action": "hide"}},
        )
        linking = classified(signals=Signals(links=1, shorteners=0, emails=0, phones=0))
        assert rules.evaluate(subject(classification=linking)).rule_id == "vip"
        assert (
            rules.evaluate(
                subject(author_handle="bob", author_id="u-2", classification=linking)
            ).rule_id
            == "links"
        )

    @pytest.mark.parametrize(
        ("bounds", "followers", "expected"),
        [
            ({"min": 100}, 120, True),
            ({"min": 1000}, 120, False),
            ({"max": 50}, 120, False),
            ({"min": 0, "max": 500}, 120, True),
            ({"min": 0}, None, False),  # an unknown count never matches
            ({"max": 10}, None, False),
        ],
    )
    def test_follower_count_bounds(self, bounds, followers, expected):
        assert matches({"followers": bounds}, subject(followers=followers)) is expected


class TestCombinations:
    def test_every_condition_must_hold(self):
        conditions = {"spam": {"min": 0.5}, "network_in": ["x"]}
        spammy = classified(spam=0.9)
        assert not matches(conditions, subject(classification=spammy))
        assert matches(conditions, subject(network="x", classification=spammy))

    def test_any_of_holds_when_one_group_holds(self):
        conditions = {
            "any_of": [{"keywords": {"any": ["refund"]}}, {"intent_in": ["complaint"]}],
        }
        assert matches(conditions, subject("refund please"))
        assert matches(
            conditions, subject("meh", classification=classified(intents=("complaint",)))
        )
        assert not matches(conditions, subject("great"))

    def test_any_of_combines_with_the_other_conditions(self):
        conditions = {
            "spam": {"min": 0.75},
            "any_of": [{"spam": {"min": 0.95}}, {"intent_not_in": ["question"]}],
        }
        question = ("question",)
        assert matches(conditions, subject(classification=classified(spam=0.8)))
        assert not matches(
            conditions, subject(classification=classified(spam=0.8, intents=question))
        )
        assert matches(conditions, subject(classification=classified(spam=0.97, intents=question)))


class TestVerdict:
    def test_the_rule_s_then_and_the_scores_come_with_the_verdict(self):
        reply_id = uuid.uuid4()
        c = classified(spam=0.9, toxicity=0.123456, sentiment_score=0.3)
        rules = rule_set(
            {
                "id": "hide-and-reply",
                "name": "h",
                "when": {"spam": {"min": 0.5}},
                "then": {"action": "hide", "reply_with": str(reply_id), "labels": ["spam"]},
            },
            version=3,
        )
        verdict = rules.evaluate(subject(classification=c))
        assert verdict.action is ModerationAction.hide
        assert verdict.decided_by == "rule:hide-and-reply"
        assert verdict.reply_with == reply_id
        assert list(verdict.labels) == ["spam"]
        assert verdict.rule_set_version == 3
        assert verdict.classification == c
        assert verdict.model_version == c.model_version
        assert verdict.scores == {"toxicity": 0.1235, "spam": 0.9, "sentiment": 0.3}

    def test_assign_to_goes_with_a_flag(self):
        rules = rule_set(
            {
                "id": "complaints",
                "name": "c",
                "when": {"intent_in": ["complaint"]},
                "then": {"action": "escalate", "assign_to": "support-lead", "labels": ["vip"]},
            }
        )
        complaint = subject(classification=classified(intents=("complaint",)))
        verdict = rules.evaluate(complaint)
        assert (verdict.action, verdict.assign_to) == (ModerationAction.escalate, "support-lead")

    def test_many_subjects_get_one_verdict_each_in_order(self):
        rules = when({"keywords": {"any": ["spam"]}})
        verdicts = rules.evaluate_many([subject("spam"), subject("ham"), subject("SPAM!")])
        assert [v.action for v in verdicts] == [
            ModerationAction.hide,
            ModerationAction.allow,
            ModerationAction.hide,
        ]

    def test_odd_text_is_decided_without_errors(self):
        rules = when({"keywords": {"any": ["x"]}, "regex": "y"})
        for text in ["", "\x00\x01", "\ud800 lone surrogate", "😀" * 1000, "\U0010ffff"]:
            assert rules.evaluate(subject(text)).action is ModerationAction.allow

    def test_a_subject_from_a_received_comment(self, comment):
        received = comment("hello", author=Author(network_id="n-9", handle="Zed", follower_count=5))
        s = Subject.of(received, classified())
        assert (s.network, s.kind, s.author_id, s.author_handle, s.followers) == (
            "instagram",
            "comment",
            "n-9",
            "Zed",
            5,
        )


class TestStoredKinds:
    def test_the_kinds_and_the_stage_round_trip_through_the_stored_json(self):
        c = classified(
            toxicity=0.9,
            toxicity_kinds={"insult": 0.2, "threat": 0.95, "hate": 0.1, "obscene": 0.05},
        )
        stored = classification_to_json(c)

        assert stored["toxicity_kinds"] == dict(c.toxicity_kinds)
        assert stored["stage"] == "fast"
        assert classification_from_json(stored) == c
