"""X Account Activity: CRC answers, signatures and normalisation of documented payloads."""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import UTC, datetime

import pytest

from beacon_shared.contracts.common import Network
from beacon_shared.contracts.ingest import InteractionKind
from ingest.webhooks.x import crc_response_token, normalise, signature_is_valid

ME = "2244994945"
SECRET = "z3ZX4v7mAAUGykl3EcmkqbartmuW8VFOOzCloLx9Q45P0hLrFu"
NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


def user(id_: str, handle: str) -> dict[str, object]:
    return {
        "id": int(id_),
        "id_str": id_,
        "screen_name": handle,
        "name": handle.title(),
        "followers_count": 42,
    }


def tweet(id_: str, author: dict[str, object], **extra: object) -> dict[str, object]:
    return {
        "id": int(id_),
        "id_str": id_,
        "created_at": "Wed Oct 10 20:19:24 +0000 2018",
        "text": f"@brand hello from {author['screen_name']}",
        "user": author,
        **extra,
    }


class TestCrc:
    def test_the_response_token_is_the_base64_hmac_of_the_crc_token(self):
        digest = hmac.new(SECRET.encode(), b"9b4507b3-9040-4669-9ca3-6b94edb50553", hashlib.sha256)
        expected = "sha256=" + base64.b64encode(digest.digest()).decode()
        assert crc_response_token("9b4507b3-9040-4669-9ca3-6b94edb50553", SECRET) == expected

    def test_another_secret_gives_another_token(self):
        assert crc_response_token("t", SECRET) != crc_response_token("t", SECRET + "x")


class TestSignature:
    body = b'{"for_user_id":"2244994945","tweet_create_events":[]}'

    def sign(self, body: bytes, secret: str = SECRET) -> str:
        digest = hmac.new(secret.encode(), body, hashlib.sha256).digest()
        return "sha256=" + base64.b64encode(digest).decode()

    def test_a_correct_signature_is_accepted(self):
        assert signature_is_valid(self.body, self.sign(self.body), SECRET)

    @pytest.mark.parametrize("header", [None, "", "sha256=", "sha256=AAAA", "md5=abc"], ids=str)
    def test_missing_or_malformed_signatures_are_refused(self, header):
        assert not signature_is_valid(self.body, header, SECRET)

    def test_a_tampered_body_is_refused(self):
        assert not signature_is_valid(self.body + b" ", self.sign(self.body), SECRET)

    def test_a_signature_made_with_another_secret_is_refused(self):
        assert not signature_is_valid(self.body, self.sign(self.body, "other"), SECRET)


class TestNormalise:
    def test_mentions_and_replies_become_interactions_and_own_posts_are_skipped(self):
        payload = {
            "for_user_id": ME,
            "tweet_create_events": [
                tweet("1001", user("11", "alice")),
                tweet(
                    "1002",
                    user("12", "bob"),
                    in_reply_to_status_id_str="900",
                    extended_tweet={"full_text": "a long reply " * 30},
                ),
                tweet("1003", user(ME, "brand")),
            ],
        }
        result = normalise(payload, now=NOW)

        assert list(result.by_account) == [(Network.x, ME)]
        assert [(i.kind, i.external_id) for i in result.items] == [
            (InteractionKind.mention, "1001"),
            (InteractionKind.reply, "1002"),
        ]
        reply = result.items[1]
        assert reply.parent_external_id == "900"
        assert reply.thread_external_id == "900"
        assert reply.text.startswith("a long reply")
        assert reply.author.handle == "bob"
        assert reply.author.follower_count == 42
        assert reply.created_at == datetime(2018, 10, 10, 20, 19, 24, tzinfo=UTC)
        assert result.skipped == {"not_an_interaction": 1}

    def test_a_retweet_is_a_share_of_the_original(self):
        payload = {
            "for_user_id": ME,
            "tweet_create_events": [
                tweet("1004", user("13", "carol"), retweeted_status=tweet("800", user(ME, "brand")))
            ],
        }
        (share,) = normalise(payload, now=NOW).items
        assert share.kind is InteractionKind.share
        assert share.parent_external_id == "800"

    def test_likes_follows_and_received_messages_are_normalised(self):
        payload = {
            "for_user_id": ME,
            "favorite_events": [
                {
                    "id": "a7ba59eab0bfcba386f7acedac279542",
                    "created_at": "Mon Mar 26 16:33:26 +0000 2018",
                    "timestamp_ms": 1522082006140,
                    "favorited_status": tweet("700", user(ME, "brand")),
                    "user": user("14", "dave"),
                }
            ],
            "follow_events": [
                {
                    "type": "follow",
                    "created_timestamp": "1517588749178",
                    "source": user("15", "erin"),
                    "target": user(ME, "brand"),
                },
                {
                    "type": "unfollow",
                    "created_timestamp": "1517588749179",
                    "source": user("16", "frank"),
                    "target": user(ME, "brand"),
                },
            ],
            "direct_message_events": [
                {
                    "type": "message_create",
                    "id": "954491830116155396",
                    "created_timestamp": "1516403560557",
                    "message_create": {
                        "target": {"recipient_id": ME},
                        "sender_id": "17",
                        "message_data": {"text": "Hello World!"},
                    },
                },
                {
                    "type": "message_create",
                    "id": "954491830116155397",
                    "created_timestamp": "1516403560558",
                    "message_create": {
                        "target": {"recipient_id": "17"},
                        "sender_id": ME,
                        "message_data": {"text": "Hi back"},
                    },
                },
            ],
            "users": {"17": user("17", "gina")},
        }
        result = normalise(payload, now=NOW)

        kinds = [(i.kind, i.external_id) for i in result.items]
        assert kinds == [
            (InteractionKind.reaction, "like:a7ba59eab0bfcba386f7acedac279542"),
            (InteractionKind.follow, "follow:15:1517588749178"),
            (InteractionKind.direct_message, "954491830116155396"),
        ]
        like, follow, message = result.items
        assert like.parent_external_id == "700"
        assert follow.author.handle == "erin"
        assert message.text == "Hello World!"
        assert message.author.handle == "gina"
        assert message.thread_external_id == f"dm:17:{ME}"
        assert message.created_at == datetime(2018, 1, 19, 23, 12, 40, 557000, tzinfo=UTC)
        assert result.skipped == {"not_an_interaction": 1}
        ((key, (sent,)),) = result.own.items()
        assert key == (Network.x, ME)
        assert sent.kind is InteractionKind.direct_message
        assert (sent.external_id, sent.text) == ("954491830116155397", "Hi back")
        assert sent.recipient_external_id == "17"
        assert sent.thread_external_id == message.thread_external_id

    def test_the_account_s_own_replies_are_its_own_activity_and_its_posts_skipped(self):
        payload = {
            "for_user_id": ME,
            "tweet_create_events": [
                tweet("1005", user(ME, "brand"), in_reply_to_status_id_str="1002", text="Sorry!"),
                tweet("1006", user(ME, "brand")),
            ],
        }
        result = normalise(payload, now=NOW)
        assert result.count == 0
        assert result.skipped == {"not_an_interaction": 1}
        ((key, (reply,)),) = result.own.items()
        assert key == (Network.x, ME)
        assert reply.kind is InteractionKind.reply
        assert (reply.external_id, reply.parent_external_id) == ("1005", "1002")
        assert reply.text == "Sorry!"

    def test_unknown_arrays_and_broken_events_are_counted_not_raised(self):
        payload = {
            "for_user_id": ME,
            "tweet_delete_events": [{"status": {"id": "1"}}],
            "tweet_create_events": [{"id_str": "5"}, "not an object"],
        }
        result = normalise(payload, now=NOW)
        assert result.items == []
        assert result.skipped == {"unsupported": 2, "malformed": 1}

    def test_a_delivery_without_for_user_id_is_skipped(self):
        assert normalise({"tweet_create_events": []}, now=NOW).skipped == {"missing_for_user_id": 1}

    def test_timestamps_in_the_future_are_read_as_sent_for_the_time_rule_to_judge(self):
        # Stored at their receipt by ingest's one time rule: test_x_webhooks_api.py.
        payload = {
            "for_user_id": ME,
            "tweet_create_events": [
                tweet("1005", user("11", "alice"), created_at="Fri Oct 10 20:19:24 +0000 2031")
            ],
        }
        (item,) = normalise(payload, now=NOW).items
        assert item.created_at == datetime(2031, 10, 10, 20, 19, 24, tzinfo=UTC)
