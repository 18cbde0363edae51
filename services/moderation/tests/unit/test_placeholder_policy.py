"""The placeholder policy: spam hidden, insults flagged, everything else allowed, never a crash."""

from __future__ import annotations

import time

import pytest

from beacon_shared.contracts.moderation import ModerationAction
from moderation.rules import PlaceholderPolicy, Verdict
from moderation.rules.text import normalise

policy = PlaceholderPolicy()


def decide(comment, text: str) -> Verdict:
    return policy.decide(comment(text))


@pytest.mark.parametrize(
    "text",
    [
        "Where can I buy this in Berlin?",
        "Does the blue one come in size M? My order #1234 hasn't arrived yet.",
        "Love it! 😍",
        "Here is my receipt: https://shop.example.com/orders/1234",
        "I follow you for the recipes, please post more",
        "Is this dumbbell set still available?",
    ],
)
def test_ordinary_comments_are_allowed(comment, text):
    verdict = decide(comment, text)
    assert verdict.action is ModerationAction.allow
    assert verdict.rule_id == "placeholder.default"
    assert verdict.decided_by == "rule:placeholder.default"
    assert list(verdict.reasons) == []


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("Best SMM panel for cheap followers!!", "spam_phrase:smm panel"),
        ("follow for follow? 🙏", "spam_phrase:follow for follow"),
        ("Nice video, check my channel", "spam_phrase:check my channel"),
        ("Huge BITCOIN giveaway today, send 0.1 to get 1", "crypto_giveaway"),
        ("Giveaway!!! free crypto for the first 100", "crypto_giveaway"),
        ("Double your ETH in 24h", "crypto_giveaway"),
        ("DM me here t.me/fastcash", "link_shortener:t.me"),
        ("https://a.example https://b.example https://c.example", "link_spam:3_links"),
    ],
)
def test_spam_is_hidden_with_its_reason(comment, text, reason):
    verdict = decide(comment, text)
    assert verdict.action is ModerationAction.hide
    assert reason in verdict.reasons
    assert verdict.rule_id.startswith("placeholder.")


def test_the_first_spam_evidence_names_the_rule(comment):
    verdict = decide(comment, "smm panel here: https://x.example https://y.example https://z.ex")
    assert verdict.rule_id == "placeholder.spam_phrase"
    assert list(verdict.reasons) == ["spam_phrase:smm panel", "link_spam:3_links"]


@pytest.mark.parametrize(
    ("text", "reasons"),
    [
        ("You are an idiot", ["insult:idiot"]),
        ("Shut up, you clowns", ["insult:clowns", "insult:shut up"]),
        ("STUPID brand, pathetic service", ["insult:pathetic", "insult:stupid"]),
    ],
)
def test_insults_are_flagged_for_review(comment, text, reasons):
    verdict = decide(comment, text)
    assert verdict.action is ModerationAction.flag
    assert verdict.rule_id == "placeholder.insult"
    assert list(verdict.reasons) == reasons


def test_spam_wins_over_an_insult(comment):
    assert decide(comment, "idiots, visit my smm panel").action is ModerationAction.hide


def test_zero_width_characters_do_not_hide_spam(comment):
    verdict = decide(comment, "s\u200bmm pa\u200dnel\ufeff, follow\u2060 for follow")
    assert verdict.action is ModerationAction.hide
    assert "spam_phrase:smm panel" in verdict.reasons


def test_fullwidth_letters_do_not_hide_spam(comment):
    fullwidth = "\uff53\uff4d\uff4d\u3000\uff50\uff41\uff4e\uff45\uff4c"  # "smm panel"
    assert decide(comment, fullwidth).action is ModerationAction.hide


@pytest.mark.parametrize(
    "text", ["", "   \n\t ", "😀🔥👍🏽👨‍👩‍👧", "\u200b\u200c\u200d\ufeff", "\x00\x01", "\U0010ffff"]
)
def test_degenerate_text_is_allowed_without_errors(comment, text):
    assert decide(comment, text).action is ModerationAction.allow


def test_a_hundred_thousand_characters_are_decided_quickly(comment):
    text = ("great product " * 7_200)[:99_990] + " smm panel"
    started = time.perf_counter()
    verdict = decide(comment, text)
    assert verdict.action is ModerationAction.hide
    assert time.perf_counter() - started < 1.0


def test_a_hundred_thousand_coin_words_stay_fast(comment):
    started = time.perf_counter()
    verdict = decide(comment, "btc " * 25_000)
    assert verdict.action is ModerationAction.allow
    assert time.perf_counter() - started < 1.0


def test_normalise_strips_invisible_characters_and_folds_case():
    assert normalise("  Fo\u200bLLow\n\n FOR\u00adfollow ") == "follow forfollow"
