"""UTM tagging of links and of free text, and the UTM values a campaign gives a target; no I/O.

The property tests draw their cases from seeded generators, so a failure names a case that
reproduces on every run.
"""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime
from urllib.parse import parse_qs, unquote_plus, urlsplit

import pytest

from beacon_shared.contracts.common import Network
from publisher.campaigns.models import CampaignKind
from publisher.campaigns.service import CampaignRow, default_utm_campaign, utm_for
from publisher.campaigns.utm import NotAWebLink, find_links, tag_link, tag_links_in_text

UTM = {"source": "instagram", "medium": "social", "campaign": "spring-sale"}
TAGS = "utm_source=instagram&utm_medium=social&utm_campaign=spring-sale"


def tag(url: str) -> str:
    return tag_link(url, **UTM)


def tag_text(text: str) -> str:
    return tag_links_in_text(text, **UTM)


class TestTagLink:
    def test_a_bare_link_gets_source_medium_and_campaign(self):
        assert tag("https://example.com/launch") == f"https://example.com/launch?{TAGS}"

    def test_other_parameters_and_the_fragment_are_kept_as_written(self):
        url = "https://example.com/a?ref=home&q=caf%C3%A9+cr%C3%A8me&flag#pricing"
        assert tag(url) == (
            f"https://example.com/a?ref=home&q=caf%C3%A9+cr%C3%A8me&flag&{TAGS}#pricing"
        )

    def test_utm_values_the_link_has_are_replaced_where_they_stand(self):
        url = "https://example.com/?utm_campaign=old&a=1&utm_source=old"
        assert tag(url) == (
            "https://example.com/?utm_campaign=spring-sale&a=1&utm_source=instagram"
            "&utm_medium=social"
        )

    def test_repeated_and_differently_spelt_utm_keys_leave_one_value(self):
        url = "https://example.com/?UTM_Source=a&utm%5Fsource=b&utm_source=c&utm_medium"
        tagged = tag(url)
        assert parse_qs(urlsplit(tagged).query) == {
            "utm_source": ["instagram"],
            "utm_medium": ["social"],
            "utm_campaign": ["spring-sale"],
        }

    def test_utm_content_and_term_of_the_link_stay_unless_given(self):
        url = "https://example.com/?utm_content=hero&utm_term=shoes"
        assert tag(url) == f"{url}&{TAGS}"
        retagged = tag_link(url, **UTM, content="footer", term="boots")
        assert retagged == f"https://example.com/?utm_content=footer&utm_term=boots&{TAGS}"

    def test_utm_parameters_the_campaign_does_not_set_are_left_alone(self):
        url = "https://example.com/?utm_id=42"
        assert tag(url) == f"{url}&{TAGS}"

    @pytest.mark.parametrize(
        "url",
        [
            "https://bücher.de:8443/straße?q=ä",
            "https://xn--bcher-kva.de/",
            "http://例え.jp/ページ",
            "https://[2001:db8::1]:8080/path",
            "https://user:secret@example.com:444/a%2Fb%20c/",
            "HTTPS://Example.COM/Case/Kept",
        ],
    )
    def test_the_host_port_and_path_are_kept_as_written(self, url: str):
        tagged = tag(url)
        assert tagged.startswith(url.partition("?")[0] + "?")
        assert tagged.endswith(TAGS)

    def test_values_are_percent_encoded_and_decode_back(self):
        tagged = tag_link(
            "https://example.com/",
            source="x",
            medium="paid social",
            campaign="Soldes d'été & plus #2",
            term="a+b=c",
        )
        assert "utm_medium=paid%20social" in tagged
        assert parse_qs(urlsplit(tagged).query) == {
            "utm_source": ["x"],
            "utm_medium": ["paid social"],
            "utm_campaign": ["Soldes d'été & plus #2"],
            "utm_term": ["a+b=c"],
        }

    def test_a_value_ending_in_a_dot_ends_escaped_so_text_cannot_cut_it(self):
        tagged = tag_link("https://example.com/", source="x", medium="m", campaign="v1.2.")
        assert tagged.endswith("utm_campaign=v1.2%2E")
        assert parse_qs(urlsplit(tagged).query)["utm_campaign"] == ["v1.2."]

    def test_an_empty_query_and_an_empty_fragment_keep_their_marks(self):
        assert tag("https://example.com/a?") == f"https://example.com/a?{TAGS}"
        assert tag("https://example.com/a?&&b=1&") == f"https://example.com/a?b=1&{TAGS}"
        assert tag("https://example.com/a#") == f"https://example.com/a?{TAGS}#"

    def test_a_fragment_with_its_own_query_is_not_mistaken_for_the_query(self):
        url = "https://app.example.com/#/offers?utm_source=inside&id=3"
        assert tag(url) == f"https://app.example.com/?{TAGS}#/offers?utm_source=inside&id=3"

    @pytest.mark.parametrize(
        "url",
        [
            "ftp://example.com/file",
            "mailto:team@example.com",
            "/relative/path",
            "example.com/no-scheme",
            "https://",
            "https:///path-only",
            "https://user@/nohost",
            "https://exa mple.com/",
            "",
        ],
    )
    def test_anything_but_an_http_link_with_a_host_is_refused(self, url: str):
        with pytest.raises(NotAWebLink):
            tag(url)


class TestTagLinksInText:
    def test_text_without_links_is_unchanged(self):
        text = "Launch day! Visit example.com or www.example.com, or write to a@example.com."
        assert tag_text(text) == text

    def test_a_full_stop_after_a_link_stays_outside_it(self):
        assert tag_text("Tickets: https://x.com/a.") == f"Tickets: https://x.com/a?{TAGS}."

    @pytest.mark.parametrize(
        "end", [".", ",", ";", ":", "!", "?", "?!", "...", "…", "。", "'", "*"]
    )
    def test_trailing_punctuation_ends_the_link(self, end: str):
        text = f"see https://x.com/a{end} then"
        assert tag_text(text) == f"see https://x.com/a?{TAGS}{end} then"

    def test_a_link_in_parentheses_leaves_the_closing_one_out(self):
        text = "Our event (details at https://x.com/events/42) is on."
        assert tag_text(text) == f"Our event (details at https://x.com/events/42?{TAGS}) is on."

    def test_parentheses_that_belong_to_the_link_stay_in_it(self):
        text = "See https://en.wikipedia.org/wiki/Mercury_(planet), (https://x.com/a_(b))."
        assert tag_text(text) == (
            f"See https://en.wikipedia.org/wiki/Mercury_(planet)?{TAGS}, "
            f"(https://x.com/a_(b)?{TAGS})."
        )

    def test_markdown_and_angle_bracketed_links(self):
        text = '[shop](https://x.com/shop) <https://x.com/b> "https://x.com/c"'
        assert tag_text(text) == (
            f'[shop](https://x.com/shop?{TAGS}) <https://x.com/b?{TAGS}> "https://x.com/c?{TAGS}"'
        )

    def test_links_in_text_without_spaces_around_them(self):
        text = "详情请看https://例え.jp/セール。谢谢"
        assert tag_text(text) == f"详情请看https://例え.jp/セール?{TAGS}。谢谢"

    def test_every_link_is_tagged_and_existing_parameters_kept(self):
        text = "A https://x.com/a?ref=1#top\nB http://y.org/?utm_source=old&p=2 end"
        assert tag_text(text) == (
            f"A https://x.com/a?ref=1&{TAGS}#top\n"
            "B http://y.org/?utm_source=instagram&p=2"
            "&utm_medium=social&utm_campaign=spring-sale end"
        )

    @pytest.mark.parametrize(
        "text",
        [
            "xhttps://x.com/a",
            "the scheme http:// alone",
            "https://. is not a host",
            "ftp://x.com/a",
        ],
    )
    def test_what_only_looks_like_a_link_is_left_alone(self, text: str):
        assert tag_text(text) == text

    def test_find_links_gives_the_offsets_of_each_link(self):
        text = "(https://x.com/a), https://y.org."
        assert [text[s:e] for s, e in find_links(text)] == ["https://x.com/a", "https://y.org"]


def campaign_row(**values: object) -> CampaignRow:
    now = datetime(2026, 11, 25, tzinfo=UTC)
    fields: dict[str, object] = {
        "id": uuid.UUID("12345678-1234-5678-1234-567812345678"),
        "tenant_id": "tenant-1",
        "brand_id": None,
        "name": "Spring Sale",
        "kind": CampaignKind.promotion,
        "description": None,
        "starts_at": None,
        "ends_at": None,
        "utm_campaign": "spring-sale",
        "utm_medium": "social",
        "cost_amount": None,
        "currency": None,
        "archived_at": None,
        "created_at": now,
        "updated_at": now,
    }
    fields.update(values)
    return CampaignRow(**fields)  # type: ignore[arg-type]


class TestUtmFor:
    def test_the_network_is_the_source_and_the_campaign_gives_the_rest(self):
        row = campaign_row(utm_medium="paid-social")
        assert utm_for(row, Network.instagram) == {
            "source": "instagram",
            "medium": "paid-social",
            "campaign": "spring-sale",
        }

    def test_the_values_tag_a_link_directly(self):
        tagged = tag_link("https://shop.example.com/?ref=1", **utm_for(campaign_row(), "X"))
        assert tagged == (
            "https://shop.example.com/?ref=1&utm_source=x&utm_medium=social&utm_campaign=spring-sale"
        )

    def test_a_blank_network_is_refused(self):
        with pytest.raises(ValueError, match="network"):
            utm_for(campaign_row(), " ")


class TestDefaultUtmCampaign:
    @pytest.mark.parametrize(
        ("name", "slug"),
        [
            ("Spring Sale", "spring-sale"),
            ("Été à Paris — 2026!", "ete-a-paris-2026"),
            ("Große Straße", "grosse-strasse"),
            ("  Black   Friday: 50% off  ", "black-friday-50-off"),
            ("春のセール", "春のセール"),
            ("Soldes 春 2026", "soldes-春-2026"),
            ("हिन्दी दिवस", "हिन्दी-दिवस"),
        ],
    )
    def test_a_slug_of_the_name(self, name: str, slug: str):
        assert default_utm_campaign(name, uuid.uuid4()) == slug

    def test_a_name_of_no_letters_or_digits_gives_a_slug_of_the_id(self):
        campaign_id = uuid.UUID("abcdef01-2345-6789-abcd-ef0123456789")
        assert default_utm_campaign("🎉 !!", campaign_id) == "campaign-abcdef01"

    def test_a_long_name_gives_at_most_100_characters_ending_in_a_letter(self):
        slug = default_utm_campaign("word " * 40, uuid.uuid4())
        assert len(slug) <= 100
        assert slug.startswith("word-word")
        assert slug[-1].isalnum()


# -- Properties over generated links and texts -----------------------------------------------

HOSTS = [
    "example.com",
    "bücher.de",
    "xn--bcher-kva.de",
    "例え.jp",
    "shop.example.co.uk",
    "[2001:db8::1]",
    "127.0.0.1",
    "user:pw@example.com",
]
PATH_CHARS = "abcXYZ019-_~.%20%2F%C3%A9äé€!$&'*+,;=:@"
KEYS = ["a", "ref", "q", "x%5By%5D", "utm_source", "UTM_MEDIUM", "utm%5Fcampaign", "utm_content"]
VALUE_CHARS = "abc123-_.~%26%3D%20+/?:@éä€"
FRAGMENTS = [None, "", "top", "/route?utm_source=x&y=1", "a.b", "section-2"]
# Values a campaign could have, including some only encoding makes safe in a query.
UTM_VALUES = ["x", "social", "spring-sale", "Été 2026", "a&b=c", "50% off!", "v1.", "#tag", "+"]
TRIMMED = ".,;:!?'\"*)]}"


def _chars(rng: random.Random, alphabet: str, most: int) -> str:
    return "".join(rng.choice(alphabet) for _ in range(rng.randint(0, most)))


def random_link(rng: random.Random, *, for_text: bool = False) -> str:
    """A link of random parts; in text, one whose last character plainly ends it."""
    path_chars = PATH_CHARS.replace("'", "").replace("*", "") if for_text else PATH_CHARS + "()"
    url = f"{rng.choice(['http', 'https', 'HTTPS'])}://{rng.choice(HOSTS)}"
    url += rng.choice(["", ":8080", ":443"])
    url += "".join(f"/{_chars(rng, path_chars, 6)}" for _ in range(rng.randint(0, 3)))
    if rng.random() < 0.7:
        pairs = [
            rng.choice(KEYS) + rng.choice(["=", ""]) + _chars(rng, VALUE_CHARS, 5)
            for _ in range(rng.randint(0, 4))
        ]
        url += "?" + "&".join(pairs)
    fragment = rng.choice(FRAGMENTS)
    if fragment is not None:
        url += "#" + fragment
    if for_text and url[-1] in TRIMMED:
        url += "z"
    return url


def random_utm(rng: random.Random) -> dict[str, str]:
    values = {key: rng.choice(UTM_VALUES) for key in ("source", "medium", "campaign")}
    for key in ("content", "term"):
        if rng.random() < 0.3:
            values[key] = rng.choice(UTM_VALUES)
    return values


def _query_pairs(url: str) -> list[str]:
    return [p for p in url.partition("#")[0].partition("?")[2].split("&") if p]


def _key(pair: str) -> str:
    return unquote_plus(pair.partition("=")[0]).lower()


class TestProperties:
    def test_non_utm_parameters_the_path_and_the_fragment_survive(self):
        rng = random.Random(4217)
        for _ in range(500):
            url, utm = random_link(rng), random_utm(rng)
            tagged = tag_link(url, **utm)
            set_keys = {f"utm_{key}" for key in utm}

            assert tagged.partition("#")[1:] == url.partition("#")[1:], url
            assert (
                tagged.partition("#")[0].partition("?")[0]
                == url.partition("#")[0].partition("?")[0]
            ), url
            kept = [p for p in _query_pairs(url) if _key(p) not in set_keys]
            assert [p for p in _query_pairs(tagged) if _key(p) not in set_keys] == kept, url
            query = parse_qs(tagged.partition("#")[0].partition("?")[2], keep_blank_values=True)
            for key, value in utm.items():
                assert query[f"utm_{key}"] == [value], (url, utm)

    def test_tagging_twice_is_tagging_once(self):
        rng = random.Random(1066)
        for _ in range(500):
            url, utm = random_link(rng), random_utm(rng)
            once = tag_link(url, **utm)
            assert tag_link(once, **utm) == once, (url, utm)

    def test_tagging_again_with_new_values_leaves_only_the_new_ones(self):
        rng = random.Random(1789)
        for _ in range(300):
            url, first, second = random_link(rng), random_utm(rng), random_utm(rng)
            retagged = tag_link(tag_link(url, **first), **second)
            # utm_content and utm_term stay from the first tagging when the second omits them.
            expected = tag_link(url, **{**first, **second})
            # The same parameters, though those first appended may stand in another order.
            assert retagged.partition("?")[0] == expected.partition("?")[0], url
            assert retagged.partition("#")[1:] == expected.partition("#")[1:], url
            assert sorted(_query_pairs(retagged)) == sorted(_query_pairs(expected)), (url, first)

    def test_text_outside_links_is_unchanged_and_each_link_tagged(self):
        rng = random.Random(1492)
        words = ["Launch", "day!", "voir", "详情", "🎉", "a@example.com", "www.example.com", "x"]
        before = [" ", "\n", "\t", "(", "«", "看", '"']
        after_punctuation = ["", ".", ",", "!", "?", "…", "。", ")", "'", "...", "?!", "»"]
        after_space = [" ", "\n", "\t", '"', "<"]
        for _ in range(400):
            links = [random_link(rng, for_text=True) for _ in range(rng.randint(0, 3))]
            utm = random_utm(rng)
            gaps = [" ".join(rng.choices(words, k=rng.randint(0, 3)))]
            for _link in links:
                gaps[-1] += rng.choice(before)
                gaps.append(
                    rng.choice(after_punctuation)
                    + rng.choice(after_space)
                    + " ".join(rng.choices(words, k=rng.randint(0, 3)))
                )
            text = gaps[0] + "".join(link + gap for link, gap in zip(links, gaps[1:], strict=True))
            expected = gaps[0] + "".join(
                tag_link(link, **utm) + gap for link, gap in zip(links, gaps[1:], strict=True)
            )

            tagged = tag_links_in_text(text, **utm)

            assert tagged == expected, text
            assert tag_links_in_text(tagged, **utm) == tagged, text
