"""Rules a post must meet before it is stored."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pydantic import ValidationError

from beacon_shared.contracts.common import Network
from beacon_shared.idempotency import fingerprint as digest
from beacon_shared.pagination import Cursor, InvalidCursor
from publisher.authoring.content import check_content, check_networks
from publisher.authoring.exceptions import ContentRejected, NoConnectorForNetwork, ScheduledInPast
from publisher.authoring.schemas import PostIn, ScheduleIn
from publisher.authoring.timing import check_schedulable
from publisher.config import Settings
from publisher.connectors.registry import BUILT_IN_NETWORKS, ConnectorRegistry, NoConnector

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
TOLERANCE = timedelta(seconds=5)
ACCOUNT = "6f1c2a4e-0b7d-4c35-9a0e-3d52f1b8c901"


@dataclass(frozen=True)
class AccountRow:
    """What the checks read of a publishing account."""

    network: str
    max_characters: int | None = None


def accounts(*rows: AccountRow) -> dict[uuid.UUID, AccountRow]:
    return {uuid.uuid4(): row for row in rows}


def content(**overrides: object) -> dict[str, Any]:
    values: dict[str, Any] = {
        "text": "Launch day!",
        "link": None,
        "media": [],
        "first_comment": None,
        "variants": {},
    }
    values.update(overrides)
    return values


def post_in(**overrides: object) -> PostIn:
    body: dict[str, object] = {
        "text": "Launch day!",
        "scheduled_at": "2026-11-24T13:00:00Z",
        "targets": [{"account_id": ACCOUNT, "network": "sandbox"}],
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


class TestScheduleSpec:
    def test_scheduling_needs_a_time(self):
        with pytest.raises(ValidationError, match="scheduling needs"):
            post_in(scheduled_at=None)

    @pytest.mark.parametrize("submit", ["draft", "review"])
    def test_a_draft_or_a_post_for_review_needs_no_time(self, submit):
        assert not post_in(scheduled_at=None, submit=submit).given

    def test_only_one_way_of_giving_the_time(self):
        with pytest.raises(ValidationError, match="one of"):
            post_in(next_slot=True)

    def test_a_local_time_with_an_offset_is_refused(self):
        with pytest.raises(ValidationError, match="without an offset"):
            ScheduleIn(local_time="2027-03-28T09:00:00+01:00", timezone="Europe/Paris")

    def test_a_timezone_goes_with_a_local_time_only(self):
        with pytest.raises(ValidationError, match="timezone goes with local_time"):
            ScheduleIn(scheduled_at="2027-03-28T09:00:00Z", timezone="Europe/Paris")

    def test_a_recurrence_needs_a_start(self):
        with pytest.raises(ValidationError, match="needs scheduled_at or local_time"):
            ScheduleIn(recurrence="FREQ=WEEKLY;COUNT=3")

    def test_a_recurrence_cannot_follow_queue_slots(self):
        with pytest.raises(ValidationError, match="queue slots"):
            ScheduleIn(next_slot=True, recurrence="FREQ=WEEKLY;COUNT=3")


class TestNetworks:
    def test_accounts_on_networks_with_connectors_are_accepted(self):
        check_networks(accounts(AccountRow("sandbox"), AccountRow("x")), BUILT_IN_NETWORKS)

    def test_a_network_without_connector_is_refused_naming_it(self):
        rows = accounts(AccountRow("sandbox"), AccountRow("facebook"))
        with pytest.raises(NoConnectorForNetwork) as raised:
            check_networks(rows, frozenset({Network.sandbox}))
        assert raised.value.status == 422
        assert "no connector for facebook" in raised.value.detail
        assert "posts can target: sandbox" in raised.value.detail
        assert [e["pointer"] for e in raised.value.errors] == ["/targets/1/network"]

    def test_the_registry_refuses_a_network_it_has_no_connector_for(self):
        with pytest.raises(NoConnector, match="mastodon"):
            ConnectorRegistry().get(Network.mastodon)


class TestContent:
    def test_text_that_every_target_network_takes_passes(self):
        check_content(content(), accounts(AccountRow("x"), AccountRow("mastodon")))

    def test_each_target_network_s_rules_apply_naming_the_network(self):
        rows = accounts(AccountRow("mastodon"), AccountRow("x"), AccountRow("instagram"))
        with pytest.raises(ContentRejected) as raised:
            check_content(content(text="a" * 290, link="https://example.com/" + "p" * 200), rows)
        assert raised.value.status == 422
        # Mastodon: 290 + 1 + a URL counted as 23 fits in 500; X: 314 weighted is over 280.
        assert [(e["pointer"], e["type"]) for e in raised.value.errors] == [
            ("/text", "text_too_long"),
            ("/media", "media_required"),
        ]
        assert raised.value.errors[0]["message"].startswith("x: ")
        assert raised.value.errors[1]["message"].startswith("instagram: ")

    def test_a_mastodon_instance_s_own_limit_applies(self):
        rows = accounts(AccountRow("mastodon"), AccountRow("mastodon", max_characters=300))
        with pytest.raises(ContentRejected) as raised:
            check_content(content(text="a" * 290, link="https://example.com/launch"), rows)
        # 290 + 1 + 23: within the default 500, over this instance's 300.
        (error,) = raised.value.errors
        assert (error["pointer"], error["type"]) == ("/text", "text_too_long")
        assert error["message"] == "mastodon: The text is 314 characters long; the limit is 300."

    def test_accounts_on_one_network_report_a_problem_once(self):
        rows = accounts(AccountRow("x"), AccountRow("x"))
        with pytest.raises(ContentRejected) as raised:
            check_content(content(text="a" * 281), rows)
        assert len(raised.value.errors) == 1

    def test_a_variant_s_text_is_checked_where_it_is_given(self):
        rows = accounts(AccountRow("x"), AccountRow("linkedin"))
        with pytest.raises(ContentRejected) as raised:
            check_content(content(variants={"x": {"text": "a" * 300}}), rows)
        (error,) = raised.value.errors
        assert (error["pointer"], error["type"]) == ("/variants/x/text", "text_too_long")
        assert error["message"].startswith("x: ")

    def test_a_variant_s_media_are_checked_where_they_are_given(self):
        rows = accounts(AccountRow("x"))
        images = [{"url": f"https://cdn.example.com/{n}.jpg"} for n in range(5)]
        with pytest.raises(ContentRejected) as raised:
            check_content(content(variants={"x": {"text": "Own text", "media": images}}), rows)
        assert [e["pointer"] for e in raised.value.errors] == ["/variants/x/media"]

    def test_the_posts_own_media_are_pointed_at_when_a_variant_only_changes_the_text(self):
        rows = accounts(AccountRow("x"))
        images = [{"url": f"https://cdn.example.com/{n}.jpg"} for n in range(5)]
        with pytest.raises(ContentRejected) as raised:
            check_content(content(media=images, variants={"x": {"text": "Own text"}}), rows)
        assert [e["pointer"] for e in raised.value.errors] == ["/media"]

    def test_a_variant_replaces_a_text_too_long_for_its_network(self):
        rows = accounts(AccountRow("x"), AccountRow("linkedin"))
        check_content(content(text="a" * 300, variants={"x": {"text": "Short."}}), rows)

    def test_a_variant_s_media_satisfies_instagram(self):
        rows = accounts(AccountRow("instagram"), AccountRow("x"))
        image = {"url": "https://cdn.example.com/a.jpg"}
        check_content(content(variants={"instagram": {"media": [image]}}), rows)

    def test_neither_text_nor_media_is_refused(self):
        with pytest.raises(ContentRejected) as raised:
            check_content(content(text="   "), accounts(AccountRow("sandbox")))
        assert [e["type"] for e in raised.value.errors] == ["content_required"]


class TestPostBody:
    def test_the_same_account_twice_is_refused(self):
        target = {"account_id": ACCOUNT, "network": "sandbox"}
        with pytest.raises(ValidationError, match="only once"):
            post_in(targets=[target, target])

    def test_an_account_id_must_be_a_uuid(self):
        with pytest.raises(ValidationError, match="UUID"):
            post_in(targets=[{"account_id": "acct-1"}])

    def test_the_network_of_a_target_is_optional(self):
        assert post_in(targets=[{"account_id": ACCOUNT}]).targets[0].network is None

    def test_no_targets_is_refused(self):
        with pytest.raises(ValidationError, match="targets"):
            post_in(targets=[])

    def test_unknown_fields_are_refused(self):
        with pytest.raises(ValidationError, match="extra"):
            post_in(approver="bob")

    def test_an_unknown_submit_is_refused(self):
        with pytest.raises(ValidationError, match="submit"):
            post_in(submit="publish")

    def test_equal_bodies_share_a_fingerprint_and_different_ones_do_not(self):
        def fingerprint(body: PostIn) -> str:
            return digest(body.model_dump(mode="json"))

        assert fingerprint(post_in()) == fingerprint(post_in())
        assert fingerprint(post_in()) != fingerprint(post_in(text="Launch day!!"))
        assert fingerprint(post_in()) != fingerprint(post_in(variants={"x": {"text": "Hi"}}))


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
