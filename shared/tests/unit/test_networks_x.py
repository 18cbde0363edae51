"""X's error answers as the shared failures."""

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
from beacon_shared.networks.x import raise_for_answer

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
RESET = str(int(NOW.timestamp()) + 900)


def answer(status: int, body: object, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.Response(
        status, json=body, headers=headers, request=httpx.Request("POST", "https://x.test/2/tweets")
    )


class TestRaiseForAnswer:
    @pytest.mark.parametrize(
        ("status", "body", "creates", "raised", "said"),
        [
            (
                401,
                {"title": "Unauthorized", "detail": "Unauthorized"},
                False,
                CredentialsRefused,
                "reconnect",
            ),
            (
                403,
                {"detail": "You are not allowed to create a Tweet with duplicate content."},
                True,
                Refused,
                "duplicate of a recent post",
            ),
            (
                403,
                {"detail": "You are not permitted to hide this reply."},
                False,
                Refused,
                "not permitted",
            ),
            (
                404,
                {"errors": [{"message": "Could not find tweet with id: [1]."}]},
                False,
                NotFound,
                "Could not find",
            ),
            (400, {"errors": [{"detail": "text is too long"}]}, True, Refused, "too long"),
            (500, {}, True, RetryLater, "x answered 500"),
            (503, {"title": "Service Unavailable"}, False, RetryLater, "503"),
            (504, {}, True, OutcomeUnknown, "outcome unknown"),
            (504, {}, False, RetryLater, "504"),
        ],
    )
    def test_each_answer_means_one_failure(self, status, body, creates, raised, said):
        with pytest.raises(NetworkCallError) as caught:
            raise_for_answer(answer(status, body), creates=creates, now=NOW)
        assert type(caught.value) is raised
        assert said in caught.value.reason

    def test_a_429_waits_for_the_endpoints_reset(self):
        refused = answer(429, {"title": "Too Many Requests"}, {"x-rate-limit-reset": RESET})
        with pytest.raises(RetryLater) as caught:
            raise_for_answer(refused, creates=True, now=NOW)
        assert (caught.value.kind, caught.value.after) == (
            "rate_limited",
            NOW + timedelta(minutes=15),
        )

    def test_a_success_raises_nothing(self):
        raise_for_answer(answer(201, {"data": {"id": "1"}}), creates=True, now=NOW)
