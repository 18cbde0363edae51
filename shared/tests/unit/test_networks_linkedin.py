"""LinkedIn's error answers as the shared failures, and the headers of a versioned REST call."""

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
from beacon_shared.networks.linkedin import check_version, raise_for_answer, rest_headers

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


def answer(status: int, body: object, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.Response(
        status,
        json=body,
        headers=headers,
        request=httpx.Request("POST", "https://api.linkedin.test/rest/posts"),
    )


class TestRaiseForAnswer:
    @pytest.mark.parametrize(
        ("status", "body", "creates", "raised", "said"),
        [
            (
                401,
                {"status": 401, "message": "Expired access token"},
                False,
                CredentialsRefused,
                "Expired",
            ),
            (
                403,
                {"status": 403, "message": "Not enough permissions"},
                True,
                Refused,
                "permissions",
            ),
            (
                404,
                {"status": 404, "message": "Not found"},
                False,
                NotFound,
                "linkedin answered 404",
            ),
            (422, {"status": 422, "message": "Commentary too long"}, True, Refused, "too long"),
            (500, {"message": "Internal Server Error"}, True, RetryLater, "500"),
            (504, {}, True, OutcomeUnknown, "outcome unknown"),
            (504, {}, False, RetryLater, "504"),
        ],
    )
    def test_each_answer_means_one_failure(self, status, body, creates, raised, said):
        with pytest.raises(NetworkCallError) as caught:
            raise_for_answer(answer(status, body), creates=creates, now=NOW)
        assert type(caught.value) is raised
        assert said in caught.value.reason

    def test_a_429_waits_only_for_a_retry_after_it_sends(self):
        with pytest.raises(RetryLater) as said:
            raise_for_answer(answer(429, {}, {"Retry-After": "120"}), creates=True, now=NOW)
        with pytest.raises(RetryLater) as unsaid:
            raise_for_answer(answer(429, {}), creates=True, now=NOW)
        assert (said.value.kind, said.value.after) == ("rate_limited", NOW + timedelta(minutes=2))
        assert unsaid.value.after is None


def test_a_rest_call_names_the_version_and_the_restli_protocol():
    assert rest_headers("t", "202607") == {
        "Authorization": "Bearer t",
        "Linkedin-Version": "202607",
        "X-Restli-Protocol-Version": "2.0.0",
    }


@pytest.mark.parametrize(
    ("version", "valid"), [("202607", True), ("202607.01", True), ("2026-07", False), ("v2", False)]
)
def test_only_monthly_versions_are_taken(version, valid):
    if valid:
        assert check_version(version) == version
    else:
        with pytest.raises(ValueError, match="YYYYMM"):
            check_version(version)
