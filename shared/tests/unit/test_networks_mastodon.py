"""Mastodon's error answers as the shared failures, and the order of its ids."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest

from beacon_shared.network_calls import (
    CredentialsRefused,
    NetworkCallError,
    NotFound,
    OutcomeUnknown,
    Refused,
    RetryLater,
)
from beacon_shared.networks.mastodon import id_order, raise_for_answer

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


def answer(status: int, body: object, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.Response(
        status,
        json=body,
        headers=headers,
        request=httpx.Request("POST", "https://mastodon.test/api/v1/statuses"),
    )


class TestRaiseForAnswer:
    @pytest.mark.parametrize(
        ("status", "body", "creates", "raised", "said"),
        [
            (401, {"error": "The access token is invalid"}, False, CredentialsRefused, "invalid"),
            (403, {"error": "This action is not allowed"}, True, Refused, "not allowed"),
            (404, {"error": "Record not found"}, False, NotFound, "Record not found"),
            (422, {"error": "Validation failed: Text can't be blank"}, True, Refused, "blank"),
            (500, {}, True, RetryLater, "mastodon answered 500"),
            (503, {"error": "Service Unavailable"}, False, RetryLater, "503"),
            (504, {}, True, OutcomeUnknown, "outcome unknown"),
            (504, {}, False, RetryLater, "504"),
        ],
    )
    def test_each_answer_means_one_failure(self, status, body, creates, raised, said):
        with pytest.raises(NetworkCallError) as caught:
            raise_for_answer(answer(status, body), creates=creates, now=NOW)
        assert type(caught.value) is raised
        assert said in caught.value.reason

    def test_a_429_waits_for_the_iso_reset(self):
        refused = answer(
            429,
            {"error": "Too many requests"},
            {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "2026-11-24T12:05:00.000Z"},
        )
        with pytest.raises(RetryLater) as caught:
            raise_for_answer(refused, creates=True, now=NOW)
        assert (caught.value.kind, caught.value.after) == (
            "rate_limited",
            NOW + timedelta(minutes=5),
        )

    def test_a_success_raises_nothing(self):
        raise_for_answer(answer(200, {"id": "1"}), creates=True, now=NOW)


def test_ids_sort_by_length_then_lexically():
    assert sorted(["109", "11", "1000", "99"], key=id_order) == ["11", "99", "109", "1000"]
