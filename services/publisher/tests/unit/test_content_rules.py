"""Per-network content rules of one post variant."""

from __future__ import annotations

import pytest

from beacon_shared.contracts.common import Network
from beacon_shared.errors import InvalidInput
from publisher.content import ContentProblem, MediaKind, check_variant
from publisher.content.text import grapheme_count, mastodon_length, x_weighted_length

IMAGE = MediaKind.image
VIDEO = MediaKind.video
LONG_URL = "https://example.com/" + "a" * 180  # 200 characters
FAMILY = "\U0001f468\u200d\U0001f469\u200d\U0001f467\u200d\U0001f466"  # 7 code points, 1 grapheme


def codes(problems: list[ContentProblem]) -> list[str]:
    return [p.code for p in problems]


class TestEveryNetwork:
    @pytest.mark.parametrize("network", list(Network))
    def test_neither_text_nor_media_is_refused(self, network: Network):
        problems = check_variant(network, "  ", [])
        assert "content_required" in codes(problems)
        assert problems[0].pointer == f"/variants/{network.value}"

    @pytest.mark.parametrize("network", list(Network))
    def test_a_nul_character_is_refused(self, network: Network):
        problems = check_variant(network, "a\x00b", [IMAGE])
        assert [(p.pointer, p.code) for p in problems] == [
            (f"/variants/{network.value}/text", "nul_character")
        ]

    @pytest.mark.parametrize("network", [Network.x, Network.bluesky, Network.mastodon])
    def test_media_without_text_is_accepted(self, network: Network):
        assert check_variant(network, "", [IMAGE]) == []


class TestProblemShape:
    def test_a_problem_renders_as_a_shared_error_item(self):
        (problem,) = check_variant(Network.linkedin, "a" * 3001)
        assert problem.as_error() == {
            "pointer": "/variants/linkedin/text",
            "location": "body",
            "type": "text_too_long",
            "message": "The text is 3001 characters long; the limit is 3000.",
        }

    def test_the_items_fit_invalid_input(self):
        problems = check_variant(Network.instagram, "#a " * 31)
        error = InvalidInput(errors=[p.as_error() for p in problems])
        assert error.status == 422
        assert [e["type"] for e in error.errors] == ["too_many_hashtags", "media_required"]

    def test_the_pointer_can_be_given(self):
        (problem,) = check_variant(Network.facebook, "", [], pointer="/variants/3")
        assert problem.pointer == "/variants/3"

    def test_every_problem_is_reported_at_once(self):
        problems = check_variant(Network.x, "\x00" + "a" * 280, [IMAGE] * 5)
        assert codes(problems) == ["nul_character", "text_too_long", "too_many_media"]


class TestX:
    def test_280_weighted_characters_pass(self):
        assert check_variant(Network.x, "a" * 280) == []

    def test_281_weighted_characters_fail(self):
        problems = check_variant(Network.x, "a" * 281)
        assert [(p.pointer, p.code) for p in problems] == [("/variants/x/text", "text_too_long")]

    def test_a_200_character_url_counts_23(self):
        assert x_weighted_length(LONG_URL) == 23
        assert check_variant(Network.x, LONG_URL + " " + "a" * 256) == []
        assert codes(check_variant(Network.x, LONG_URL + " " + "a" * 257)) == ["text_too_long"]

    def test_trailing_punctuation_is_not_part_of_the_url(self):
        assert x_weighted_length(f"see {LONG_URL}.") == 4 + 23 + 1

    def test_cjk_counts_2(self):
        assert x_weighted_length("日本語") == 6
        assert check_variant(Network.x, "日" * 140) == []
        assert codes(check_variant(Network.x, "日" * 140 + "a")) == ["text_too_long"]

    def test_an_emoji_counts_2(self):
        assert x_weighted_length("\U0001f600") == 2
        assert check_variant(Network.x, "\U0001f600" * 140) == []
        assert codes(check_variant(Network.x, "\U0001f600" * 141)) == ["text_too_long"]

    def test_an_emoji_sequence_counts_2(self):
        assert x_weighted_length(FAMILY) == 2
        assert x_weighted_length("\U0001f1eb\U0001f1f7") == 2  # a flag
        assert x_weighted_length("\U0001f44d\U0001f3fd") == 2  # with a skin tone

    def test_latin_cyrillic_and_general_punctuation_count_1(self):
        assert x_weighted_length("é Ж \u2014 \u2019 \u2033") == 9

    def test_decomposed_letters_count_as_composed(self):
        assert x_weighted_length("e\u0301") == 1

    def test_four_images_pass_and_five_fail(self):
        assert check_variant(Network.x, "hi", [IMAGE] * 4) == []
        problems = check_variant(Network.x, "hi", [IMAGE] * 5)
        assert [(p.pointer, p.code) for p in problems] == [("/variants/x/media", "too_many_media")]

    def test_one_video_passes_but_not_with_other_media(self):
        assert check_variant(Network.x, "hi", [VIDEO]) == []
        assert codes(check_variant(Network.x, "hi", [VIDEO, IMAGE])) == ["too_many_media"]


class TestBluesky:
    def test_300_graphemes_pass(self):
        assert check_variant(Network.bluesky, "a" * 300) == []

    def test_301_graphemes_fail(self):
        problems = check_variant(Network.bluesky, "a" * 301)
        assert [(p.pointer, p.code) for p in problems] == [
            ("/variants/bluesky/text", "text_too_long")
        ]

    def test_a_family_emoji_is_one_grapheme(self):
        assert grapheme_count(FAMILY) == 1
        assert check_variant(Network.bluesky, FAMILY * 300) == []
        assert codes(check_variant(Network.bluesky, FAMILY * 301)) == ["text_too_long"]

    def test_a_combining_sequence_is_one_grapheme(self):
        assert grapheme_count("e\u0301") == 1

    def test_a_url_counts_its_graphemes(self):
        assert codes(check_variant(Network.bluesky, LONG_URL + "a" * 101)) == ["text_too_long"]

    def test_four_images_pass_and_five_fail(self):
        assert check_variant(Network.bluesky, "hi", [IMAGE] * 4) == []
        assert codes(check_variant(Network.bluesky, "hi", [IMAGE] * 5)) == ["too_many_media"]


class TestMastodon:
    def test_500_characters_pass_by_default(self):
        assert check_variant(Network.mastodon, "a" * 500) == []

    def test_501_characters_fail_by_default(self):
        problems = check_variant(Network.mastodon, "a" * 501)
        assert [(p.pointer, p.code) for p in problems] == [
            ("/variants/mastodon/text", "text_too_long")
        ]

    def test_the_instance_limit_replaces_the_default(self):
        text = "a" * 5000
        assert check_variant(Network.mastodon, text, mastodon_max_characters=5000) == []
        problems = check_variant(Network.mastodon, text + "a", mastodon_max_characters=5000)
        assert problems[0].message == "The text is 5001 characters long; the limit is 5000."

    def test_a_lower_instance_limit_is_enforced(self):
        assert codes(check_variant(Network.mastodon, "a" * 301, mastodon_max_characters=300)) == [
            "text_too_long"
        ]

    def test_a_non_positive_instance_limit_is_a_programming_error(self):
        with pytest.raises(ValueError, match="positive"):
            check_variant(Network.mastodon, "a", mastodon_max_characters=0)

    def test_the_instance_limit_does_not_apply_to_other_networks(self):
        assert codes(check_variant(Network.x, "a" * 281, mastodon_max_characters=5000)) == [
            "text_too_long"
        ]

    def test_a_200_character_url_counts_23(self):
        assert mastodon_length(LONG_URL) == 23
        assert check_variant(Network.mastodon, LONG_URL + " " + "a" * 476) == []
        assert codes(check_variant(Network.mastodon, LONG_URL + " " + "a" * 477)) == [
            "text_too_long"
        ]

    def test_a_remote_mention_counts_its_local_part(self):
        assert mastodon_length("@alice@example.social hi") == len("@alice hi")

    def test_an_emoji_sequence_counts_1(self):
        assert mastodon_length(FAMILY) == 1

    def test_four_media_pass_and_five_fail(self):
        assert check_variant(Network.mastodon, "hi", [IMAGE] * 4) == []
        assert codes(check_variant(Network.mastodon, "hi", [IMAGE] * 5)) == ["too_many_media"]


class TestInstagram:
    def test_2200_characters_pass(self):
        assert check_variant(Network.instagram, "a" * 2200, [IMAGE]) == []

    def test_2201_characters_fail(self):
        problems = check_variant(Network.instagram, "a" * 2201, [IMAGE])
        assert [(p.pointer, p.code) for p in problems] == [
            ("/variants/instagram/text", "text_too_long")
        ]

    def test_media_is_required(self):
        problems = check_variant(Network.instagram, "A caption")
        assert [(p.pointer, p.code) for p in problems] == [
            ("/variants/instagram/media", "media_required")
        ]

    def test_30_hashtags_pass(self):
        text = " ".join(f"#tag{i}" for i in range(30))
        assert check_variant(Network.instagram, text, [IMAGE]) == []

    def test_31_hashtags_fail(self):
        text = " ".join(f"#tag{i}" for i in range(31))
        problems = check_variant(Network.instagram, text, [IMAGE])
        assert [(p.pointer, p.code) for p in problems] == [
            ("/variants/instagram/text", "too_many_hashtags")
        ]
        assert problems[0].message == "The caption has 31 hashtags; the limit is 30."

    def test_repeated_hashtags_count_each_time(self):
        assert codes(check_variant(Network.instagram, "#a " * 31, [IMAGE])) == ["too_many_hashtags"]

    def test_what_is_not_a_hashtag_does_not_count(self):
        text = "#1 " * 20 + "a#b " * 20 + "&#39; " * 20 + "#ok"
        assert check_variant(Network.instagram, text, [IMAGE]) == []

    def test_ten_media_pass_and_eleven_fail(self):
        assert check_variant(Network.instagram, "hi", [IMAGE] * 9 + [VIDEO]) == []
        assert codes(check_variant(Network.instagram, "hi", [IMAGE] * 11)) == ["too_many_media"]


class TestLinkedIn:
    def test_3000_characters_pass(self):
        assert check_variant(Network.linkedin, "a" * 3000) == []

    def test_3001_characters_fail(self):
        assert codes(check_variant(Network.linkedin, "a" * 3001)) == ["text_too_long"]


class TestFacebook:
    def test_63206_characters_pass(self):
        assert check_variant(Network.facebook, "a" * 63_206) == []

    def test_63207_characters_fail(self):
        assert codes(check_variant(Network.facebook, "a" * 63_207)) == ["text_too_long"]


class TestOtherNetworks:
    @pytest.mark.parametrize("network", [Network.custom, Network.sandbox])
    def test_only_the_common_rules_apply(self, network: Network):
        assert check_variant(network, "a" * 100_000, [IMAGE] * 50) == []
