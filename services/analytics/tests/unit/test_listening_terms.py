"""Which terms of a text trends count: hashtags and keywords, each once."""

from __future__ import annotations

from analytics.listening.terms import MAX_TERMS, hashtags, is_hashtag, keywords, terms_of


class TestHashtags:
    def test_hashtags_are_casefolded_and_kept_once(self):
        assert hashtags("#Coffee time! #coffee #COFFEE and #tea") == ["#coffee", "#tea"]

    def test_accented_hashtags_are_words_too(self):
        assert hashtags("Vive l'#Été et #crème-brûlée") == ["#été", "#crème"]

    def test_numbers_anchors_and_entities_are_not_hashtags(self):
        text = "We are #1, see https://x.example/page#section and &#39; or a#b"
        assert hashtags(text) == []

    def test_a_hashtag_needs_a_letter(self):
        assert hashtags("#2026 #Paris2024") == ["#paris2024"]


class TestKeywords:
    def test_stop_words_short_words_and_numbers_are_left_out(self):
        assert keywords("The new blend is at 42 degrees and we love it") == [
            "new",
            "blend",
            "degrees",
            "love",
        ]

    def test_french_stop_words_and_elisions(self):
        assert keywords("C'est l'équipe de Paris qui gagne aujourd'hui") == [
            "équipe",
            "paris",
            "gagne",
        ]

    def test_links_mentions_and_hashtags_are_not_keywords(self):
        text = "@brand look www.example.com/offer https://t.co/xyz #Sale sale"
        assert keywords(text) == ["look", "sale"]

    def test_hyphenated_words_stay_whole(self):
        assert keywords("A well-known café-crème") == ["well-known", "café-crème"]


class TestTermsOf:
    def test_hashtags_come_first_then_keywords_each_once(self):
        assert terms_of("Coffee #coffee coffee COFFEE beans") == ["#coffee", "coffee", "beans"]

    def test_a_text_gives_at_most_max_terms(self):
        text = " ".join(f"word{chr(97 + i // 26)}{chr(97 + i % 26)}" for i in range(100))
        assert len(terms_of(text)) == MAX_TERMS

    def test_is_hashtag(self):
        assert is_hashtag("#x")
        assert not is_hashtag("x")
