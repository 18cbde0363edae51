"""Forged, replayed and expired states, error callbacks, open redirects and missing setup: each
a clear problem or a documented outcome, and nothing half-stored."""

from __future__ import annotations

import pytest
from sqlalchemy import func, update

from services.workspace.tests.connections.conftest import outcome
from workspace.connections.models import oauth_state

pytestmark = pytest.mark.integration


async def test_a_person_who_refuses_at_the_network_comes_back_with_access_denied(harness, networks):
    networks.meta.deny = True
    async with harness() as h:
        back = await h.connect("facebook")
        rows = await h.accounts()

    assert outcome(back) == {
        "tab": "networks",
        "connection": "failed",
        "network": "facebook",
        "error": "access_denied",
    }
    assert rows == []


async def test_a_state_is_used_once(harness, networks):
    async with harness() as h:
        started = await h.start("x")
        location = await h.authorize(started.json()["authorization_url"])
        first = await h.callback(location)
        replayed = await h.callback(location)
        rows = await h.accounts()

    assert outcome(first)["connection"] == "connected"
    assert replayed.status_code == 409
    assert replayed.headers["content-type"] == "application/problem+json"
    assert replayed.json()["code"] == "oauth_state_used"
    assert len(rows) == 1


async def test_a_failed_state_cannot_be_tried_again(harness, networks):
    networks.linkedin.token_error = "invalid_grant"
    async with harness() as h:
        started = await h.start("linkedin")
        location = await h.authorize(started.json()["authorization_url"])
        failed = await h.callback(location)
        networks.linkedin.token_error = None
        replayed = await h.callback(location)

    assert outcome(failed)["error"] == "invalid_grant"
    assert replayed.status_code == 409


async def test_a_forged_or_missing_state_is_a_400(harness):
    async with harness() as h:
        forged = await h.browser.get(
            "/v1/connections/callback", params={"state": "bs_forged", "code": "c"}
        )
        missing = await h.browser.get("/v1/connections/callback", params={"code": "c"})

    assert forged.status_code == 400
    assert forged.json()["code"] == "oauth_state_invalid"
    assert missing.status_code == 400


async def test_a_state_older_than_ten_minutes_is_a_410(harness, engine):
    async with harness() as h:
        started = await h.start("x")
        location = await h.authorize(started.json()["authorization_url"])
        async with engine.begin() as conn:
            # The flow's clock: as if the person had stayed 10 minutes on the network's page.
            await conn.execute(
                update(oauth_state)
                .where(oauth_state.c.tenant_id == h.tenant_id)
                .values(expires_at=func.now())
            )
        expired = await h.callback(location)
        rows = await h.accounts()

    assert expired.status_code == 410
    assert expired.json()["code"] == "oauth_state_expired"
    assert rows == []


async def test_a_return_url_outside_the_allowed_origins_is_a_422(harness):
    async with harness() as h:
        elsewhere = await h.http.post(
            "/v1/brands/brand-1/connections",
            json={"network": "x", "return_url": "https://evil.example/steal"},
        )
        lookalike = await h.http.post(
            "/v1/brands/brand-1/connections",
            json={"network": "x", "return_url": "https://app.brand.example.evil.example/"},
        )
        audit = await h.audit()

    assert elsewhere.status_code == 422
    assert elsewhere.json()["code"] == "return_url_refused"
    assert elsewhere.json()["errors"][0]["pointer"] == "/return_url"
    assert lookalike.status_code == 422
    assert audit == []


async def test_a_network_without_an_app_configured_is_a_409(harness):
    async with harness(linkedin_client_id=None, linkedin_client_secret=None) as h:
        answer = await h.start("linkedin")

    assert answer.status_code == 409
    assert answer.json()["code"] == "network_not_configured"
    assert "WORKSPACE_LINKEDIN_CLIENT_ID" in answer.json()["detail"]


async def test_without_a_credentials_key_nothing_starts(harness):
    async with harness(credentials_keys=None) as h:
        answer = await h.start("x")

    assert answer.status_code == 409
    assert answer.json()["code"] == "credentials_key_missing"


async def test_bluesky_is_not_an_oauth_network_here(harness):
    async with harness() as h:
        answer = await h.start("bluesky")

    assert answer.status_code == 422


async def test_an_unknown_brand_is_a_422_and_a_brand_out_of_reach_a_403(harness):
    async with harness() as h:
        unknown = await h.start("x", brand="no-such-brand")
    async with harness(brand_ids=("cafe",)) as limited:
        elsewhere = await limited.start("x", brand="jobs")
        bluesky = await limited.http.post(
            "/v1/brands/jobs/connections/bluesky",
            json={"handle": "brand.bsky.social", "app_password": "abcd-efgh-ijkl-mnop"},
        )
        allowed = await limited.start("x", brand="cafe")

    assert unknown.status_code == 422
    assert unknown.json()["code"] == "unknown_brand"
    assert elsewhere.status_code == 403
    assert elsewhere.json()["code"] == "brand_not_allowed"
    assert bluesky.status_code == 403
    assert allowed.status_code == 201


async def test_a_key_limited_to_a_brand_sees_and_disconnects_only_its_accounts(harness):
    async with harness() as h:
        cafe = outcome(await h.connect("x", brand="cafe"))["accounts"]
        jobs = outcome(await h.connect("linkedin", brand="jobs"))["accounts"].split(",")
        async with h.other_key(brand_ids=("cafe",)) as limited:
            listed = (await limited.get("/v1/connected-accounts")).json()["items"]
            hidden = await limited.get(f"/v1/connected-accounts/{jobs[0]}")
            kept = await limited.delete(f"/v1/connected-accounts/{jobs[0]}")
            gone = await limited.delete(f"/v1/connected-accounts/{cafe}")

    assert [a["id"] for a in listed] == [cafe]
    assert hidden.status_code == 404
    assert kept.status_code == 404
    assert gone.status_code == 204
