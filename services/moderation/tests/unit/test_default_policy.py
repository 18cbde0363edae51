"""The default rules: spam hidden, toxic comments flagged, the rest allowed, never a crash."""

from __future__ import annotations

import pytest

from beacon_shared.contracts.moderation import ModerationAction
from moderation.classify.classifier import MODEL_VERSION
from moderation.classify.text import normalise
from moderation.rules import DefaultPolicy, Verdict


@pytest.fixture(scope="module")
def policy() -> DefaultPolicy:
    return DefaultPolicy()


@pytest.fixture
def decide(policy, comment):
    def decide(text: str) -> Verdict:
        (verdict,) = policy.decide_many([comment(text)])
        return verdict

    return decide


@pytest.mark.parametrize(
    "text",
    [
        "Where can I buy this in Berlin?",
        "Does the blue one come in size M? My order #1234 hasn't arrived yet.",
        "Love it! 😍",
        "Here is my receipt: https://shop.example.com/orders/1234",
        "My email is jane.doe@gmail.com, please send the return label there",
        "I follow you for the recipes, please post more",
        "Is this dumbbell set still available?",
    ],
)
def test_ordinary_comments_are_allowed(decide, text):
    verdict = decide(text)
    assert verdict.action is ModerationAction.allow
    assert verdict.decided_by == "rule:default.allow"
    assert list(verdict.reasons) == []


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("Most trustable smm panel on market ... cheaper price", "spam:smm_panel"),
        ("Best SMM panel for cheap followers!!", "spam:sells_followers"),
        ("Nice video, check my channel", "spam:self_promotion"),
        ("Watch my videos, new song every week", "spam:self_promotion"),
        ("See my new track and subscribe", "spam:self_promotion"),
        ("Huge BITCOIN giveaway today, send 0.1 to get 1", "spam:crypto_scam"),
        ("Double your ETH in 24h", "spam:crypto_scam"),
        ("DM me here t.me/fastcash", "spam:link_shortener"),
    ],
)
def test_spam_is_hidden_with_its_reasons(decide, text, reason):
    verdict = decide(text)
    assert verdict.action is ModerationAction.hide
    assert verdict.rule_id == "default.spam"
    assert reason in verdict.reasons


def test_a_question_is_flagged_not_hidden_unless_spam_is_near_certain(decide):
    asking = decide("Can I check my channel stats here?")  # "check my channel": one spam clue
    selling = decide("Want cheap followers? Best smm panel in bio")

    assert asking.action in (ModerationAction.allow, ModerationAction.flag)
    assert selling.action is ModerationAction.hide


@pytest.mark.parametrize(
    "text",
    ["You are an idiot", "STUPID brand, pathetic service", "you f*cking moron", "you are a 1d10t"],
)
def test_toxic_comments_are_flagged_for_review(decide, text):
    verdict = decide(text)
    assert verdict.action is ModerationAction.flag
    assert verdict.rule_id == "default.toxic"
    assert verdict.scores["toxicity"] >= 0.5


def test_spam_wins_over_an_insult(decide):
    assert decide("idiots, visit my smm panel for cheap followers").action is ModerationAction.hide


def test_scores_and_the_model_version_come_with_every_verdict(decide):
    verdict = decide("Love it!")
    assert set(verdict.scores) == {
        "toxicity",
        "insult",
        "threat",
        "hate",
        "obscene",
        "spam",
        "sentiment",
    }
    assert verdict.model_version == MODEL_VERSION


def test_zero_width_and_fullwidth_characters_do_not_hide_spam(decide):
    hidden = "s\u200bmm pa\u200dnel\ufeff, cheap price"
    fullwidth = "\uff53\uff4d\uff4d\u3000\uff50\uff41\uff4e\uff45\uff4c cheap price"  # "smm panel"
    assert decide(hidden).action is ModerationAction.hide
    assert decide(fullwidth).action is ModerationAction.hide


@pytest.mark.parametrize(
    "text", ["", "   \n\t ", "😀🔥👍🏽👨‍👩‍👧", "\u200b\u200c\u200d\ufeff", "\x00\x01", "\U0010ffff"]
)
def test_degenerate_text_is_allowed_without_errors(decide, text):
    assert decide(text).action is ModerationAction.allow


def test_a_hundred_thousand_characters_are_decided(decide):
    text = ("great product " * 7_200)[:99_960] + " smm panel, cheap price"
    assert decide(text).action is ModerationAction.hide


def test_one_verdict_per_comment_in_order(policy, comment):
    verdicts = policy.decide_many([comment("Love it!"), comment("smm panel, cheap price")])
    assert [v.action for v in verdicts] == [ModerationAction.allow, ModerationAction.hide]


def test_normalise_strips_invisible_characters_and_folds_case():
    assert normalise("  Fo\u200bLLow\n\n FOR\u00adfollow ") == "follow forfollow"
