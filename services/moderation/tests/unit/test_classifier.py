"""The classifier: every kind of text gets every score, in range, without raising."""

from __future__ import annotations

import pytest

from moderation.classify import Classifier
from moderation.classify.toxicity import undisguise


@pytest.fixture(scope="module")
def classifier() -> Classifier:
    return Classifier()


@pytest.mark.parametrize(
    "text",
    [
        "",
        "🔥🔥🔥😍",
        "x" * 100_000,
        "Hello مرحبا Привет 你好",
        "i\u200bd\u200bi\u200bo\u200bt",
        "\u202eevil\u202c",
        "   \n\t  ",
    ],
)
def test_odd_text_gets_every_score_in_range(classifier, text):
    result = classifier.classify(text)

    assert 0.0 <= result.toxicity <= 1.0
    assert 0.0 <= result.spam <= 1.0
    assert -1.0 <= result.sentiment_score <= 1.0
    assert result.sentiment in ("negative", "neutral", "positive")
    assert isinstance(result.language, str)
    assert result.language


def test_text_without_letters_has_an_undetermined_language(classifier):
    assert classifier.classify("🔥🔥 !!! 123").language == "und"


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Is the blue one back in stock? I would love to order it.", "en"),
        ("Est-ce que le modèle bleu est de nouveau disponible ?", "fr"),
        ("¿Cuándo vuelve a estar disponible el modelo azul?", "es"),
    ],
)
def test_language(classifier, text, language):
    assert classifier.classify(text).language == language


def test_the_smm_panel_ad_scores_as_spam_and_a_customer_question_does_not(classifier):
    ad = classifier.classify("Most trustable smm panel on market ... cheaper price")
    question = classifier.classify("Is the blue one back in stock? Where can I buy it?")

    assert ad.spam >= 0.5
    assert "smm_panel" in ad.spam_reasons
    assert question.spam < 0.5


def test_links_emails_and_phone_numbers_are_counted(classifier):
    result = classifier.classify(
        "Promo at https://deals.example.com and bit.ly/x1,"
        " mail win@example.com or +33 6 12 34 56 78"
    )

    assert result.signals.links >= 1
    assert result.signals.shorteners == 1
    assert result.signals.emails == 1
    assert result.signals.phones == 1


def test_digit_disguises_are_read_as_letters():
    assert undisguise("you are a 1d10t and a l0s3r, call 555 1234") == (
        "you are a idiot and a loser, call 555 1234"
    )


def test_a_disguised_insult_scores_like_the_plain_one(classifier):
    plain, disguised = classifier.classify_many(["you are an idiot", "you are an 1d10t"])

    assert plain.toxicity >= 0.5
    assert disguised.toxicity == pytest.approx(plain.toxicity)


@pytest.mark.parametrize(
    ("text", "intents"),
    [
        ("How much is the blue one?", ("question", "purchase_intent")),
        ("My parcel never arrived, I want a refund", ("complaint",)),
        ("Colis jamais reçu, je veux être remboursé", ("complaint",)),
        ("J'adore, merci !", ("praise",)),
        ("ok", ()),
    ],
)
def test_intents(classifier, text, intents):
    assert classifier.classify(text).intents == intents


def test_sentiment_follows_the_words(classifier):
    happy, angry = classifier.classify_many(["I love it, thank you!", "This is awful, I hate it"])

    assert (happy.sentiment, angry.sentiment) == ("positive", "negative")
