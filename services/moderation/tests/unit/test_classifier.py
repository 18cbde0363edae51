"""The classifier: every kind of text gets every score, in range, without raising."""

from __future__ import annotations

import time

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


def test_an_email_address_is_not_counted_as_a_link(classifier):
    result = classifier.classify("Send the return label to jane.doe@gmail.com please")

    assert result.signals.emails == 1
    assert result.signals.links == 0
    assert "link" not in result.spam_reasons


def test_begging_for_likes_and_clicks_is_a_spam_clue(classifier):
    result = classifier.classify("Thumbs up if you love this song! Click the link in my profile")

    assert "engagement_bait" in result.spam_reasons


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


@pytest.mark.parametrize(
    "text",
    [
        "Ta gueule connard, votre service est une honte",
        "Va te faire foutre, bande d'escrocs",
        "Nul à chier ce produit, vous êtes des voleurs",
        "I hope your CEO dies in a fire",
        "je vais te retrouver et te casser la gueule",
        "Les immigrés sont de la vermine",
    ],
)
def test_insults_threats_and_hate_score_as_toxic_in_english_and_french(classifier, text):
    assert classifier.classify(text).toxicity >= 0.5


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("I hope your CEO dies in a fire", "threat"),
        ("j'espère que ton patron va crever", "threat"),
        ("Ta gueule connard", "insult"),
        ("muslims are vermin and should be deported", "hate"),
        ("putain de merde, ce produit est pourri", "obscene"),
    ],
)
def test_each_kind_of_toxicity_has_its_own_score(classifier, text, kind):
    kinds = classifier.classify(text).toxicity_kinds

    assert set(kinds) == {"insult", "threat", "hate", "obscene"}
    assert kinds[kind] == max(kinds.values())
    assert kinds[kind] >= 0.5


@pytest.mark.parametrize(
    ("statement", "not_hateful"),
    [
        ("Les immigrés sont de la vermine", "Dire que les immigrés sont de la vermine est ignoble"),
        ("Les immigrés sont de la vermine", "Je ne déteste pas les immigrés"),
        ("women are subhuman", "no one should ever say women are subhuman"),
    ],
)
def test_negated_and_counter_speech_score_below_the_statement(classifier, statement, not_hateful):
    said, refuted = classifier.classify_many([statement, not_hateful])

    assert refuted.toxicity_kinds["hate"] < said.toxicity_kinds["hate"]


@pytest.mark.parametrize(
    "text",
    [
        "Please check my order status, it has been 2 weeks",
        "I follow you for the recipes, please post more",
        "Here is my order page https://shop.example.com/orders/55120, still processing",
        "You asked for my number: +44 7700 900461",
        "Pouvez-vous relancer ma commande 48213 ?",
    ],
)
def test_ordinary_customer_comments_are_not_spam(classifier, text):
    assert classifier.classify(text).spam < 0.75


def test_french_comments_get_a_sentiment(classifier):
    praise, complaint = classifier.classify_many(
        ["J'adore ce produit, merci beaucoup !", "Service nul, commande jamais reçue, très déçue"]
    )

    assert praise.sentiment == "positive"
    assert complaint.sentiment == "negative"


@pytest.mark.parametrize(
    "text",
    [
        "f\u200bu\u200bc\u200bk you",
        "you 1d10t",
        "\uff46\uff55\uff43\uff4b \uff59\uff4f\uff55",  # full-width "fuck you"
    ],
)
def test_disguised_insults_are_still_toxic(classifier, text):
    assert classifier.classify(text).toxicity >= 0.5


def test_odd_texts_are_classified_within_the_speed_budget(classifier):
    odd = [
        "",
        "😍🔥👏",
        "x" * 100_000,
        "Love it! J'adore, merci ! Очень красиво 太好看了",
        "\u202eevil text\u202c مرحبا بكم",
        "f\u200bu\u200bc\u200bk",
        "ｆｒｅｅ ｆｏｌｌｏｗｅｒｓ",  # noqa: RUF001
    ]
    classifier.classify_many(odd)
    started = time.perf_counter()
    results = classifier.classify_many(odd)
    elapsed = time.perf_counter() - started

    assert len(results) == len(odd)
    assert all(0.0 <= r.toxicity <= 1.0 and 0.0 <= r.spam <= 1.0 for r in results)
    assert elapsed < 0.5  # the whole batch, the 100,000-character text included
