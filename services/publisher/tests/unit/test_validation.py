"""Rules a post must meet before it is stored."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from beacon_shared.contracts.common import Network
from beacon_shared.pagination import Cursor, InvalidCursor
from publisher.config import Settings
from publisher.connectors.registry import BUILT_IN_NETWORKS, ConnectorRegistry, NoConnector
from publisher.posts.exceptions import ContentRejected, NoConnectorForNetwork, ScheduledInPast
from publisher.posts.schemas import PostIn, TargetIn
from publisher.posts.service import (
    check_content,
    check_networks,
    check_schedulable,
    fingerprint,
)

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
TOLERANCE = timedelta(seconds=5)


def post_in(**overrides: object) -> PostIn:
    body: dict[str, object] = {
        "text": "Launch day!",
        "scheduled_at": "2026-11-24T13:00:00Z",
        "targets": [{"account_id": "acct-1", "network": "sandbox"}],
    }
    body.update(overrides)
    return PostIn.model_validate(body)


class TestScheduledTime:
    def test_a_future_time_is_accepted(self):
        check_schedulable(NOW + timedelta(seconds=2), now=NOW, tolerance=TOLERANCE)

    def test_a_time_just_past_within_the_tolerance_is_accepted(self):
        check_schedulable(NOW - timedelta(seconds=4), now=NOW, tolerance=TOLERANCE)

    def test_a_time_past_beyond_the_tolerance_is_refused_with_a_pointer(self):
        with pytest.raises(ScheduledInPast) as raised:
            check_schedulable(NOW - timedelta(seconds=6), now=NOW, tolerance=TOLERANCE)
        assert raised.value.status == 422
        assert [e["pointer"] for e in raised.value.errors] == ["/scheduled_at"]

    def test_a_naive_time_is_refused_by_the_schema(self):
        with pytest.raises(ValidationError, match="timezone"):
            post_in(scheduled_at="2026-11-24T13:00:00")


class TestNetworks:
    def test_sandbox_targets_are_accepted(self):
        check_networks([TargetIn(account_id="a", network=Network.sandbox)], BUILT_IN_NETWORKS)

    def test_a_network_without_connector_is_refused_naming_it(self):
        targets = [
            TargetIn(account_id="a", network=Network.sandbox),
            TargetIn(account_id="b", network=Network.facebook),
        ]
        with pytest.raises(NoConnectorForNetwork) as raised:
            check_networks(targets, BUILT_IN_NETWORKS)
        assert raised.value.status == 422
        assert "no connector for facebook" in raised.value.detail
        assert [e["pointer"] for e in raised.value.errors] == ["/targets/1/network"]

    def test_the_registry_refuses_a_network_it_has_no_connector_for(self):
        with pytest.raises(NoConnector, match="mastodon"):
            ConnectorRegistry().get(Network.mastodon)


class TestContent:
    def test_text_that_every_target_network_takes_passes(self):
        check_content(post_in(targets=[{"account_id": "a", "network": "x"}]))

    def test_each_target_network_s_rules_apply_naming_the_network(self):
        body = post_in(
            text="a" * 290,
            link="https://example.com/" + "p" * 200,
            targets=[
                {"account_id": "a", "network": "mastodon"},
                {"account_id": "b", "network": "x"},
                {"account_id": "c", "network": "instagram"},
            ],
        )
        with pytest.raises(ContentRejected) as raised:
            check_content(body)
        assert raised.value.status == 422
        # Mastodon: 290 + 1 + a URL counted as 23 fits in 500; X: 314 weighted is over 280.
        assert [(e["pointer"], e["type"]) for e in raised.value.errors] == [
            ("/text", "text_too_long"),
            ("/media", "media_required"),
        ]
        assert raised.value.errors[0]["message"].startswith("x: ")
        assert raised.value.errors[1]["message"].startswith("instagram: ")


class TestPostBody:
    def test_the_same_account_twice_is_refused(self):
        target = {"account_id": "acct-1", "network": "sandbox"}
        with pytest.raises(ValidationError, match="only once"):
            post_in(targets=[target, target])

    def test_blank_text_is_refused(self):
        with pytest.raises(ValidationError, match="blank"):
            post_in(text="   ")

    def test_no_targets_is_refused(self):
        with pytest.raises(ValidationError, match="targets"):
            post_in(targets=[])

    def test_unknown_fields_are_refused(self):
        with pytest.raises(ValidationError, match="extra"):
            post_in(approver="bob")

    def test_equal_bodies_share_a_fingerprint_and_different_ones_do_not(self):
        assert fingerprint(post_in()) == fingerprint(post_in())
        assert fingerprint(post_in()) != fingerprint(post_in(text="Launch day!!"))


class TestCursor:
    def test_a_cursor_round_trips(self):
        cursor = Cursor(NOW, uuid.uuid4())
        assert Cursor.decode(cursor.encode()) == cursor

    @pytest.mark.parametrize("token", ["nope", "", "W10", "WyJ4IiwgInkiXQ"])
    def test_anything_else_is_an_invalid_cursor(self, token):
        with pytest.raises(InvalidCursor):
            Cursor.decode(token)


class TestSettings:
    def test_the_publish_timeout_must_be_shorter_than_the_lease(self):
        with pytest.raises(ValidationError, match="shorter"):
            Settings(
                database_url="postgresql+asyncpg://x/y",
                kafka_bootstrap="localhost:9092",
                scheduler_lease_seconds=10,
                publish_timeout_seconds=10,
            )
