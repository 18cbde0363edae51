"""Full-text search: each message read in its language, ranked, within the list's filters."""

from __future__ import annotations

import pytest

from beacon_shared.contracts.moderation import ModerationAction

pytestmark = pytest.mark.integration


@pytest.fixture
async def ann(tenant, member):
    return await member(tenant, "agent")


async def found(http, key, as_key, q, **params):
    answer = await http.get(
        "/v1/conversations/search", params={"q": q} | params, headers=as_key(key)
    )
    assert answer.status_code == 200, answer.text
    return [hit["conversation"]["preview"] for hit in answer.json()["items"]]


async def test_words_match_their_stems_in_the_language_moderation_detected(
    http, tenant, ann, receive, moderate, as_key
):
    english = await receive(
        tenant, "The shoes I ordered are running small", thread_external_id="p-en"
    )
    french = await receive(
        tenant, "Mes chaussures sont arrivées cassées", thread_external_id="p-fr"
    )
    # Before a language is known the text is indexed word for word: no stems.
    assert await found(http, ann.key, as_key, "run") == []
    await moderate(tenant, english, ModerationAction.allow, language="en")
    await moderate(tenant, french, ModerationAction.allow, language="fr")
    assert await found(http, ann.key, as_key, "run") == ["The shoes I ordered are running small"]
    assert await found(http, ann.key, as_key, "cassée") == ["Mes chaussures sont arrivées cassées"]
    assert await found(http, ann.key, as_key, "chaussure") == [
        "Mes chaussures sont arrivées cassées"
    ]


async def test_the_best_match_comes_first_and_each_conversation_once(
    http, tenant, ann, receive, moderate, as_key
):
    for text, thread in (
        ("refund refund refund, I want a refund", "p-many"),
        ("A refund would be nice", "p-one"),
        ("Nothing to do with it", "p-none"),
    ):
        comment = await receive(tenant, text, thread_external_id=thread)
        await moderate(tenant, comment, language="en")
    await receive(tenant, "Still no refund", thread_external_id="p-one")
    answer = await http.get(
        "/v1/conversations/search", params={"q": "refund"}, headers=as_key(ann.key)
    )
    hits = answer.json()["items"]
    assert [hit["conversation"]["thread_external_id"] for hit in hits] == ["p-many", "p-one"]
    assert hits[0]["rank"] > hits[1]["rank"] > 0


async def test_web_search_syntax_and_filters_apply(http, tenant, ann, receive, moderate, as_key):
    for text, thread, brand in (
        ("late delivery again", "p-1", "brand-1"),
        ("late payment", "p-2", "brand-1"),
        ("late delivery", "p-3", "brand-2"),
    ):
        comment = await receive(tenant, text, thread_external_id=thread, brand_id=brand)
        await moderate(tenant, comment, language="en")
    assert sorted(await found(http, ann.key, as_key, '"late delivery"')) == [
        "late delivery",
        "late delivery again",
    ]
    assert await found(http, ann.key, as_key, "late -delivery") == ["late payment"]
    assert await found(http, ann.key, as_key, "delivery", brand_id="brand-2") == ["late delivery"]
    assert await found(http, ann.key, as_key, "delivery", status="resolved") == []


async def test_a_query_of_only_punctuation_finds_nothing(http, tenant, ann, receive, as_key):
    await receive(tenant, "hello")
    assert await found(http, ann.key, as_key, "!!!") == []


async def test_french_is_found_with_or_without_its_accents(
    http, tenant, ann, receive, moderate, as_key
):
    for text, thread in (
        ("Ma commande est livrée en retard, très déçue", "p-late"),
        ("Le colis est arrivé cassé", "p-broken"),
    ):
        comment = await receive(tenant, text, thread_external_id=thread)
        await moderate(tenant, comment, language="fr")
    late, broken = "Ma commande est livrée en retard, très déçue", "Le colis est arrivé cassé"
    for q in ("livree", "livrée", "livrer", "decue", "déçu", '"livree en retard"'):
        assert await found(http, ann.key, as_key, q) == [late], q
    for q in ("casse", "cassées", "arrive", "colis -retard"):
        assert await found(http, ann.key, as_key, q) == [broken], q


async def test_a_message_in_another_language_is_found_without_its_accents(
    http, tenant, ann, receive, moderate, as_key
):
    comment = await receive(tenant, "¿Señor, qué pasó con mi pedido?")
    assert await found(http, ann.key, as_key, "senor pedido") == [comment.text]
    await moderate(tenant, comment, language="es")
    assert await found(http, ann.key, as_key, "señor") == [comment.text]


async def test_another_organization_finds_nothing_of_ours(
    http, tenant, ann, receive, moderate, member, unique, as_key
):
    comment = await receive(tenant, "refund please")
    await moderate(tenant, comment, language="en")
    stranger = await member(unique("tenant"), "owner")
    assert await found(http, stranger.key, as_key, "refund") == []
    assert await found(http, ann.key, as_key, "refund") == ["refund please"]
