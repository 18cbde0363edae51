"""Bluesky's error answers as the shared failures, and the app-password session against a fake
PDS speaking com.atproto.server.createSession and refreshSession: signed in once, refreshed when
the access token expires, signed in again only when the refresh token is refused too."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse

from beacon_shared.network_calls import (
    CredentialsRefused,
    NetworkCallError,
    NotFound,
    OutcomeUnknown,
    Refused,
    RetryLater,
)
from beacon_shared.networks.bluesky import (
    BlueskySessions,
    Login,
    raise_for_answer,
    sending_through,
    session_expired,
)
from beacon_shared.testing.fake_networks import Clock, Faults

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
SERVICE = "https://pds.test"
IDENTIFIER = "brand.example.com"
APP_PASSWORD = "abcd-efgh-ijkl-mnop"
DID = "did:plc:brand"


def answer(status: int, body: object, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.Response(
        status,
        json=body,
        headers=headers,
        request=httpx.Request("POST", f"{SERVICE}/xrpc/com.atproto.repo.createRecord"),
    )


class TestRaiseForAnswer:
    @pytest.mark.parametrize(
        ("status", "body", "creates", "raised", "said"),
        [
            (
                400,
                {"error": "InvalidRequest", "message": "Invalid record"},
                True,
                Refused,
                "InvalidRequest Invalid record",
            ),
            (401, {"error": "AuthenticationRequired"}, False, CredentialsRefused, "reconnect"),
            (404, {"error": "RecordNotFound"}, False, NotFound, "RecordNotFound"),
            (500, {"error": "InternalServerError"}, True, RetryLater, "500"),
            (502, {}, False, RetryLater, "502"),
            (504, {}, True, OutcomeUnknown, "outcome unknown"),
            (504, {}, False, RetryLater, "504"),
        ],
    )
    def test_each_answer_means_one_failure(self, status, body, creates, raised, said):
        with pytest.raises(NetworkCallError) as caught:
            raise_for_answer(answer(status, body), creates=creates, now=NOW)
        assert type(caught.value) is raised
        assert said in caught.value.reason

    def test_a_429_waits_for_the_epoch_reset(self):
        reset = str(int((NOW + timedelta(minutes=5)).timestamp()))
        with pytest.raises(RetryLater) as caught:
            raise_for_answer(
                answer(429, {"error": "RateLimitExceeded"}, {"ratelimit-reset": reset}),
                creates=True,
                now=NOW,
            )
        assert (caught.value.kind, caught.value.after) == (
            "rate_limited",
            NOW + timedelta(minutes=5),
        )

    @pytest.mark.parametrize(
        ("status", "body", "expired"),
        [
            (400, {"error": "ExpiredToken"}, True),
            (400, {"error": "InvalidToken"}, True),
            (401, {"error": "AuthenticationRequired"}, True),
            (400, {"error": "InvalidRequest"}, False),
            (403, {"error": "ExpiredToken"}, False),
            (200, {}, False),
        ],
    )
    def test_which_answers_refuse_the_access_token(self, status, body, expired):
        assert session_expired(answer(status, body)) is expired


@dataclass
class FakePds:
    """Sessions whose tokens the test can expire or revoke, and one authed method."""

    password: str = APP_PASSWORD
    created: int = 0
    refreshed: int = 0
    access: set[str] = field(default_factory=set)
    refresh: set[str] = field(default_factory=set)
    # Scripted answers per method name, taken before the PDS's own.
    script: dict[str, list[tuple[int, dict[str, Any], dict[str, str]]]] = field(
        default_factory=dict
    )
    authed_with: list[str] = field(default_factory=list)

    def app(self) -> FastAPI:
        app = FastAPI()

        def scripted(method: str) -> Response | None:
            answers = self.script.get(method)
            if not answers:
                return None
            status, body, headers = answers.pop(0)
            return JSONResponse(body, status_code=status, headers=headers)

        def session() -> dict[str, str]:
            number = self.created + self.refreshed
            self.access.add(f"access-{number}")
            self.refresh.add(f"refresh-{number}")
            return {
                "accessJwt": f"access-{number}",
                "refreshJwt": f"refresh-{number}",
                "handle": IDENTIFIER,
                "did": DID,
            }

        def bearer(request: Request) -> str:
            return request.headers.get("authorization", "").removeprefix("Bearer ")

        @app.post("/xrpc/com.atproto.server.createSession")
        async def create_session(request: Request) -> Response:
            if (answer := scripted("createSession")) is not None:
                return answer
            if await request.json() != {"identifier": IDENTIFIER, "password": self.password}:
                return JSONResponse(
                    {
                        "error": "AuthenticationRequired",
                        "message": "Invalid identifier or password",
                    },
                    status_code=401,
                )
            self.created += 1
            return JSONResponse(session())

        @app.post("/xrpc/com.atproto.server.refreshSession")
        async def refresh_session(request: Request) -> Response:
            if (answer := scripted("refreshSession")) is not None:
                return answer
            token = bearer(request)
            if token not in self.refresh:
                return JSONResponse(
                    {"error": "ExpiredToken", "message": "Token has expired"}, status_code=400
                )
            self.refresh.discard(token)
            self.refreshed += 1
            return JSONResponse(session())

        @app.get("/xrpc/app.bsky.actor.getPreferences")
        async def preferences(request: Request) -> Response:
            token = bearer(request)
            self.authed_with.append(token)
            if token not in self.access:
                return JSONResponse(
                    {"error": "ExpiredToken", "message": "Token has expired"}, status_code=400
                )
            return JSONResponse({"preferences": []})

        return app

    def expire_access(self) -> None:
        self.access.clear()

    def revoke_refresh(self) -> None:
        self.refresh.clear()


@pytest.fixture
def pds() -> FakePds:
    return FakePds()


@pytest.fixture
async def http(pds):
    async with httpx.AsyncClient(transport=Faults(pds.app())) as client:
        yield client


@pytest.fixture
def clock() -> Clock:
    return Clock(NOW)


@pytest.fixture
def sessions(clock) -> BlueskySessions:
    return BlueskySessions(clock=clock)


LOGIN = Login.of({"identifier": IDENTIFIER, "app_password": APP_PASSWORD}, service=SERVICE)


async def preferences(
    sessions: BlueskySessions, http: httpx.AsyncClient, clock: Clock
) -> httpx.Response:
    return await sessions.call(
        LOGIN,
        lambda auth: http.get(LOGIN.xrpc("app.bsky.actor.getPreferences"), headers=auth),
        send=sending_through(http, clock),
    )


class TestBlueskySessions:
    async def test_the_first_call_signs_in_and_later_ones_keep_the_session(
        self, pds, sessions, http, clock
    ):
        first = await preferences(sessions, http, clock)
        second = await preferences(sessions, http, clock)

        assert (first.status_code, second.status_code) == (200, 200)
        assert (pds.created, pds.refreshed) == (1, 0)
        assert pds.authed_with == ["access-1", "access-1"]

    async def test_an_expired_access_token_is_refreshed_and_the_call_sent_once_more(
        self, pds, sessions, http, clock
    ):
        await preferences(sessions, http, clock)
        pds.expire_access()

        response = await preferences(sessions, http, clock)

        assert response.status_code == 200
        assert (pds.created, pds.refreshed) == (1, 1)
        assert pds.authed_with == ["access-1", "access-1", "access-2"]

    async def test_a_refused_refresh_token_falls_back_to_signing_in(
        self, pds, sessions, http, clock
    ):
        await preferences(sessions, http, clock)
        pds.expire_access()
        pds.revoke_refresh()

        response = await preferences(sessions, http, clock)

        assert response.status_code == 200
        assert (pds.created, pds.refreshed) == (2, 0)
        assert pds.authed_with[-1] == "access-2"

    async def test_a_call_refused_again_on_the_renewed_session_is_not_sent_a_third_time(
        self, pds, sessions, http, clock
    ):
        await preferences(sessions, http, clock)
        pds.expire_access()
        pds.script["refreshSession"] = [(200, {"accessJwt": "never-valid", "did": DID}, {})]

        response = await preferences(sessions, http, clock)

        assert response.status_code == 400
        assert pds.authed_with == ["access-1", "access-1", "never-valid"]

    async def test_a_refused_app_password_is_credentials_refused(self, pds, sessions, http, clock):
        pds.password = "changed-by-the-owner"

        with pytest.raises(CredentialsRefused, match="AuthenticationRequired"):
            await preferences(sessions, http, clock)
        assert pds.authed_with == []

    async def test_a_failing_refresh_retries_later_without_signing_in(
        self, pds, sessions, http, clock
    ):
        await preferences(sessions, http, clock)
        pds.expire_access()
        pds.script["refreshSession"] = [(502, {"error": "UpstreamFailure"}, {})]

        with pytest.raises(RetryLater) as caught:
            await preferences(sessions, http, clock)
        assert caught.value.kind == "server_error"
        assert pds.created == 1

    async def test_a_limited_sign_in_retries_after_the_reset(self, pds, sessions, http, clock):
        reset = NOW + timedelta(minutes=30)
        pds.script["createSession"] = [
            (429, {"error": "RateLimitExceeded"}, {"ratelimit-reset": str(int(reset.timestamp()))})
        ]

        with pytest.raises(RetryLater) as caught:
            await preferences(sessions, http, clock)
        assert (caught.value.kind, caught.value.after) == ("rate_limited", reset)

    async def test_a_session_answer_without_tokens_retries_later(self, pds, sessions, http, clock):
        pds.script["createSession"] = [(200, {"handle": IDENTIFIER}, {})]

        with pytest.raises(RetryLater, match="without its tokens"):
            await preferences(sessions, http, clock)

    async def test_calls_at_once_sign_in_once(self, pds, sessions, http, clock):
        answers = await asyncio.gather(*(preferences(sessions, http, clock) for _ in range(5)))

        assert [a.status_code for a in answers] == [200] * 5
        assert pds.created == 1
