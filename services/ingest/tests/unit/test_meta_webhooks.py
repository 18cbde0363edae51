"""Meta webhooks: signatures, the handshake token, and normalisation of documented payloads."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime, timedelta

import pytest

from beacon_shared.bounds import LATEST
from beacon_shared.contracts.common import Network
from beacon_shared.contracts.ingest import InteractionKind
from ingest.webhooks.meta import normalise, signature_is_valid, verify_token_matches

SECRET = "4f1c0e7a9b2d4e6f8a0c1e3b5d7f9a1c"
PAGE = "106540352242922"
IG = "17841405309211844"
NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
CREATED = 1763985600  # 2025-11-24T12:00:00Z


def feed(item: str, verb: str = "add", **value: object) -> dict[str, object]:
    """A Page `feed` change as documented: who, what, on which post, when."""
    return {
        "field": "feed",
        "value": {
            "from": {"id": "3141592653", "name": "Ada Lovelace"},
            "post_id": f"{PAGE}_777",
            "created_time": CREATED,
            "item": item,
            "verb": verb,
            **value,
        },
    }


def page_delivery(*changes: dict[str, object], page: str = PAGE) -> dict[str, object]:
    return {"object": "page", "entry": [{"id": page, "time": CREATED, "changes": list(changes)}]}


def ig_comment(comment_id: str, **value: object) -> dict[str, object]:
    return {
        "field": "comments",
        "value": {
            "id": comment_id,
            "from": {"id": "232323232", "username": "ada.codes"},
            "text": "Is this available in blue? 💙",
            "media": {"id": "17887498072083520", "media_product_type": "FEED"},
            **value,
        },
    }


def messaging(mid: str, **message: object) -> dict[str, object]:
    return {
        "sender": {"id": "5566778899"},
        "recipient": {"id": PAGE},
        "timestamp": CREATED * 1000 + 123,
        "message": {"mid": mid, "text": "Hello, is the shop open on Sunday?", **message},
    }


def only(delivery: object) -> list:
    result = normalise(delivery, now=NOW)
    return [item for items in result.by_account.values() for item in items]


class TestSignature:
    body = b'{"object":"page","entry":[]}'

    def sign(self, body: bytes, secret: str = SECRET) -> str:
        return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()

    def test_the_hex_hmac_of_the_raw_body_is_accepted(self):
        assert signature_is_valid(self.body, self.sign(self.body), SECRET)

    def test_another_secret_is_refused(self):
        assert not signature_is_valid(self.body, self.sign(self.body, "other"), SECRET)

    def test_a_changed_body_is_refused(self):
        assert not signature_is_valid(self.body + b" ", self.sign(self.body), SECRET)

    @pytest.mark.parametrize("header", [None, "", "sha256=", "sha1=abc", "deadbeef"])
    def test_missing_or_garbled_headers_are_refused(self, header):
        assert not signature_is_valid(self.body, header, SECRET)


def test_the_verify_token_must_match_exactly():
    assert verify_token_matches("meatyhamhock", "meatyhamhock")
    assert not verify_token_matches("meatyhamhoc", "meatyhamhock")
    assert not verify_token_matches(None, "meatyhamhock")


class TestPageFeed:
    def test_a_comment_on_a_post(self):
        (item,) = only(
            page_delivery(
                feed(
                    "comment",
                    comment_id="777_901",
                    parent_id=f"{PAGE}_777",
                    message="Love it!",
                )
            )
        )
        assert item.network is Network.facebook
        assert item.kind is InteractionKind.comment
        assert item.external_id == "777_901"
        assert item.thread_external_id == f"{PAGE}_777"
        assert item.author.network_id == "3141592653"
        assert item.author.display_name == "Ada Lovelace"
        assert item.text == "Love it!"
        assert item.created_at == datetime.fromtimestamp(CREATED, UTC)
        assert item.raw["value"]["comment_id"] == "777_901"

    def test_a_comment_on_a_comment_is_a_reply_to_it(self):
        (item,) = only(page_delivery(feed("comment", comment_id="777_902", parent_id="777_901")))
        assert item.kind is InteractionKind.reply
        assert item.parent_external_id == "777_901"

    def test_reactions_are_one_per_person_and_target(self):
        on_post, on_comment = only(
            page_delivery(
                feed("reaction", reaction_type="love"),
                feed("reaction", reaction_type="like", comment_id="777_901"),
            )
        )
        assert on_post.kind is InteractionKind.reaction
        assert on_post.external_id == f"reaction:{PAGE}_777:3141592653"
        assert on_comment.parent_external_id == "777_901"
        assert on_comment.external_id == "reaction:777_901:3141592653"

    def test_a_share(self):
        (item,) = only(page_delivery(feed("share", share_id="888", message="Look at this")))
        assert item.kind is InteractionKind.share
        assert item.external_id == "888"

    @pytest.mark.parametrize(
        ("item", "verb"),
        [("comment", "edited"), ("comment", "remove"), ("reaction", "remove"), ("status", "add")],
    )
    def test_edits_removals_and_new_posts_are_unsupported(self, item, verb):
        result = normalise(page_delivery(feed(item, verb, comment_id="777_1")), now=NOW)
        assert result.count == 0
        assert result.skipped == {"unsupported": 1}

    def test_the_pages_own_replies_are_its_own_activity_not_interactions(self):
        change = feed("comment", comment_id="777_3", parent_id="777_901", message="On its way!")
        change["value"]["from"] = {"id": PAGE, "name": "Acme"}  # type: ignore[index]
        result = normalise(page_delivery(change), now=NOW)
        assert result.count == 0
        assert not result.skipped
        ((key, (own,)),) = result.own.items()
        assert key == (Network.facebook, PAGE)
        assert own.kind is InteractionKind.reply
        assert (own.external_id, own.parent_external_id) == ("777_3", "777_901")
        assert own.thread_external_id == f"{PAGE}_777"
        assert own.text == "On its way!"

    def test_the_pages_own_reactions_are_skipped_as_own_activity(self):
        change = feed("reaction", reaction_type="like")
        change["value"]["from"] = {"id": PAGE, "name": "Acme"}  # type: ignore[index]
        result = normalise(page_delivery(change), now=NOW)
        assert result.count == 0
        assert not result.own
        assert result.skipped == {"own_activity": 1}

    def test_a_comment_without_from_has_an_unknown_author(self):
        change = feed("comment", comment_id="777_4")
        del change["value"]["from"]  # type: ignore[attr-defined]
        (item,) = only(page_delivery(change))
        assert item.author.network_id == "unknown"


class TestInstagram:
    def delivery(self, *changes: dict[str, object]) -> dict[str, object]:
        return {
            "object": "instagram",
            "entry": [{"id": IG, "time": CREATED, "changes": list(changes)}],
        }

    def test_comments_and_replies(self):
        comment, reply = only(
            self.delivery(ig_comment("17865799348089039"), ig_comment("1790", parent_id="1786"))
        )
        assert comment.network is Network.instagram
        assert comment.kind is InteractionKind.comment
        assert comment.thread_external_id == "17887498072083520"
        assert comment.author.handle == "ada.codes"
        assert comment.text == "Is this available in blue? 💙"
        assert reply.kind is InteractionKind.reply
        assert reply.parent_external_id == "1786"

    def test_mentions_in_comments_and_captions(self):
        in_comment, in_caption = only(
            self.delivery(
                {"field": "mentions", "value": {"media_id": "1791", "comment_id": "1792"}},
                {"field": "mentions", "value": {"media_id": "1793"}},
            )
        )
        assert in_comment.kind is InteractionKind.mention
        assert in_comment.external_id == "1792"
        assert in_comment.parent_external_id == "1791"
        assert in_caption.external_id == "1793"
        assert in_caption.author.network_id == "unknown"

    def test_the_account_commenting_on_its_own_media_is_its_own_activity(self):
        result = normalise(self.delivery(ig_comment("1", **{"from": {"id": IG}})), now=NOW)
        assert result.count == 0
        ((key, (own,)),) = result.own.items()
        assert key == (Network.instagram, IG)
        assert own.kind is InteractionKind.comment
        assert own.external_id == "1"

    def test_story_insights_are_unsupported(self):
        result = normalise(
            self.delivery({"field": "story_insights", "value": {"media_id": "1", "reach": 4}}),
            now=NOW,
        )
        assert result.skipped == {"unsupported": 1}

    def test_a_message_delivered_as_a_change_is_filed_under_its_recipient(self):
        event = messaging("aWdfZAG1faXRlbToxOklHTWVzc2FnZAUlEOjE3ODQxNDA1")
        event["recipient"] = {"id": IG}
        result = normalise(self.delivery({"field": "messages", "value": event}), now=NOW)
        ((key, (item,)),) = result.by_account.items()
        assert key == (Network.instagram, IG)
        assert item.kind is InteractionKind.direct_message


class TestMessaging:
    def delivery(self, *events: dict[str, object]) -> dict[str, object]:
        return {
            "object": "page",
            "entry": [{"id": PAGE, "time": CREATED, "messaging": list(events)}],
        }

    def test_a_message_is_a_direct_message_timed_in_milliseconds(self):
        result = normalise(self.delivery(messaging("m_abc")), now=NOW)
        ((key, (item,)),) = result.by_account.items()
        assert key == (Network.facebook, PAGE)
        assert item.kind is InteractionKind.direct_message
        assert item.external_id == "m_abc"
        assert item.thread_external_id == f"dm:{PAGE}:5566778899"
        assert item.created_at == datetime.fromtimestamp(CREATED + 0.123, UTC)
        assert item.raw["message"]["mid"] == "m_abc"

    def test_echoes_reads_and_deliveries_are_not_interactions(self):
        read = {"sender": {"id": "1"}, "recipient": {"id": PAGE}, "read": {"watermark": 1}}
        echo = messaging("m_1", is_echo=True, app_id=1517)
        echo["sender"], echo["recipient"] = {"id": PAGE}, {"id": "5566778899"}
        result = normalise(self.delivery(echo, read), now=NOW)
        assert result.count == 0
        assert result.skipped == {"unsupported": 1}
        ((key, (own,)),) = result.own.items()
        assert key == (Network.facebook, PAGE)
        assert own.kind is InteractionKind.direct_message
        assert own.thread_external_id == f"dm:{PAGE}:5566778899"
        assert (own.recipient_external_id, own.app_id) == ("5566778899", "1517")


class TestBadInput:
    def test_a_time_in_the_future_is_read_as_sent_for_the_time_rule_to_judge(self):
        # Stored at its receipt by ingest's one time rule: test_meta_webhooks_api.py.
        (item,) = only(page_delivery(feed("comment", comment_id="1", created_time=4102444800)))
        assert item.created_at == datetime(2100, 1, 1, tzinfo=UTC)

    def test_a_huge_timestamp_is_the_last_instant_not_an_error(self):
        (item,) = only(page_delivery(feed("comment", comment_id="1", created_time=10**30)))
        assert item.created_at == LATEST - timedelta(microseconds=1)

    def test_an_iso_created_time_is_read(self):
        (item,) = only(
            page_delivery(feed("comment", comment_id="1", created_time="2026-11-24T10:00:00+0000"))
        )
        assert item.created_at == datetime(2026, 11, 24, 10, 0, tzinfo=UTC)

    @pytest.mark.parametrize("payload", [[], "x", {"object": "page"}, {"entry": {}}])
    def test_a_payload_without_entries_is_malformed(self, payload):
        assert normalise(payload, now=NOW).skipped == {"malformed": 1}

    def test_an_unknown_object_is_unsupported(self):
        delivery = {"object": "whatsapp_business_account", "entry": [{"id": "1", "changes": []}]}
        assert normalise(delivery, now=NOW).skipped == {"unsupported": 1}

    def test_broken_changes_are_counted_and_the_valid_ones_kept(self):
        delivery = page_delivery(
            feed("comment", comment_id="ok-1"),
            "not an object",  # type: ignore[arg-type]
            {"field": "feed", "value": None},
            feed("comment"),  # no comment_id
            feed("comment", comment_id="x", created_time="yesterday"),
            feed("comment", comment_id="long", message="a" * 100_001),
            feed("comment", comment_id="ok-2", message="مرحبا 👋🏽 שלום"),
        )
        result = normalise(delivery, now=NOW)
        assert [item.external_id for item in only(delivery)] == ["ok-1", "ok-2"]
        assert result.skipped == {"malformed": 5}

    def test_each_entry_is_filed_under_its_own_account(self):
        other = "200000000000001"
        delivery = {
            "object": "page",
            "entry": [
                {"id": PAGE, "changes": [feed("comment", comment_id="a")]},
                {"id": other, "changes": [feed("comment", comment_id="b")]},
            ],
        }
        result = normalise(delivery, now=NOW)
        assert {
            key: [i.external_id for i in items] for key, items in result.by_account.items()
        } == {
            (Network.facebook, PAGE): ["a"],
            (Network.facebook, other): ["b"],
        }

    def test_an_entry_with_neither_changes_nor_messaging_is_unsupported(self):
        standby = {"sender": {"id": "1"}, "recipient": {"id": PAGE}, "timestamp": 1}
        delivery = {"object": "page", "entry": [{"id": PAGE, "standby": [standby]}]}
        assert normalise(delivery, now=NOW).skipped == {"unsupported": 1}
