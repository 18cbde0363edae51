"""Graph's error answers as the shared failures, for Facebook and Instagram alike."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from beacon_shared.contracts.common import Network
from beacon_shared.network_calls import (
    CredentialsRefused,
    NetworkCallError,
    NotFound,
    OutcomeUnknown,
    Refused,
    RetryLater,
)
from beacon_shared.networks.graph import Throttled, raise_for_answer, regain_access

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


def answer(
    status: int, error: dict[str, object] | None = None, headers: dict[str, str] | None = None
) -> httpx.Response:
    return httpx.Response(
        status,
        json={"error": error} if error is not None else {},
        headers=headers,
        request=httpx.Request("POST", "https://graph.test/v23.0/1_2"),
    )


class TestRaiseForAnswer:
    @pytest.mark.parametrize(
        ("status", "error", "creates", "raised", "said"),
        [
            (
                400,
                {"code": 190, "message": "Session has expired"},
                False,
                CredentialsRefused,
                "190",
            ),
            (400, {"code": 102, "message": "Session key invalid"}, False, CredentialsRefused, ""),
            # An expired token can come under another code with subcode 463 (expired) or 467.
            (400, {"code": 1, "error_subcode": 463}, False, CredentialsRefused, "reconnect"),
            (400, {"code": 1, "error_subcode": 467}, False, CredentialsRefused, "reconnect"),
            (400, {"code": 4, "message": "Application request limit"}, False, Throttled, ""),
            (400, {"code": 17}, False, Throttled, ""),
            (400, {"code": 32}, False, Throttled, ""),
            (400, {"code": 613}, False, Throttled, ""),
            (400, {"code": 80001}, False, Throttled, ""),
            (400, {"code": 80099}, False, Throttled, ""),
            (400, {"code": 9, "error_subcode": 2207042}, True, Throttled, ""),
            (429, None, False, Throttled, ""),
            (500, {"code": 1, "message": "An unknown error occurred"}, True, RetryLater, ""),
            (503, {"code": 2, "message": "Service temporarily unavailable"}, True, RetryLater, ""),
            (400, {"code": 368, "is_transient": True}, False, RetryLater, ""),
            (403, {"code": 10, "message": "Permission denied"}, False, Refused, "permission"),
            (400, {"code": 200, "message": "Permissions error"}, False, Refused, "permission"),
            (400, {"code": 100, "error_subcode": 33}, False, NotFound, "code 100"),
            (400, {"code": 100, "message": "Invalid parameter"}, False, Refused, "code 100"),
            (500, {"code": 368, "message": "blocked as abusive"}, False, Refused, "code 368"),
            (504, {"code": 1}, True, OutcomeUnknown, "outcome unknown"),
            (504, None, False, RetryLater, "504"),
            (401, None, False, CredentialsRefused, "reconnect"),
            (404, None, False, NotFound, "404"),
            (502, None, True, RetryLater, "502"),
            (400, {"code": "190"}, False, Refused, "answered 400"),
        ],
    )
    def test_each_answer_means_one_failure(self, status, error, creates, raised, said):
        with pytest.raises(NetworkCallError) as caught:
            raise_for_answer(
                answer(status, error), network=Network.facebook, creates=creates, now=NOW
            )
        assert type(caught.value) is raised
        assert said in caught.value.reason
        assert caught.value.reason.startswith(("facebook answered", "outcome unknown: facebook"))

    def test_a_success_raises_nothing(self):
        raise_for_answer(answer(200), network=Network.instagram, creates=True, now=NOW)

    def test_throttling_says_whose_limit_it_is(self):
        with pytest.raises(Throttled) as app:
            raise_for_answer(
                answer(400, {"code": 4}), network=Network.facebook, creates=False, now=NOW
            )
        with pytest.raises(Throttled) as page:
            raise_for_answer(
                answer(400, {"code": 32}), network=Network.facebook, creates=False, now=NOW
            )
        assert (app.value.app_wide, page.value.app_wide) == (True, False)
        assert app.value.kind == page.value.kind == "rate_limited"

    def test_a_transient_error_waits_for_retry_after(self):
        with pytest.raises(RetryLater) as caught:
            raise_for_answer(
                answer(500, {"code": 2}, {"Retry-After": "30"}),
                network=Network.instagram,
                creates=False,
                now=NOW,
            )
        assert (caught.value.kind, caught.value.after) == (
            "server_error",
            NOW + timedelta(seconds=30),
        )


class TestRegainAccess:
    def test_the_business_use_case_header_says_when_access_returns(self):
        usage = {
            "99": [{"type": "pages", "estimated_time_to_regain_access": 7}],
            "42": [{"type": "instagram", "estimated_time_to_regain_access": 3}],
        }
        refused = answer(400, {"code": 80001}, {"X-Business-Use-Case-Usage": json.dumps(usage)})
        with pytest.raises(Throttled) as caught:
            raise_for_answer(refused, network=Network.facebook, creates=False, now=NOW)
        assert caught.value.after == NOW + timedelta(minutes=7)

    def test_retry_after_comes_first_and_nothing_said_is_none(self):
        usage = {"99": [{"estimated_time_to_regain_access": 7}]}
        both = answer(
            400, {"code": 4}, {"Retry-After": "60", "X-Business-Use-Case-Usage": json.dumps(usage)}
        )
        assert regain_access(both, NOW) == NOW + timedelta(seconds=60)
        assert (
            regain_access(answer(400, {"code": 4}, {"X-Business-Use-Case-Usage": "{"}), NOW) is None
        )
