"""Facebook Login: one login connects every Page it grants, each with its Page token, and the
Instagram business account linked to each; tokens are sealed, never shown or sent in clear."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import pytest

from services.workspace.tests.connections.conftest import (
    CREDENTIALS_KEY,
    EVENT_KEY,
    opened,
    outcome,
)

pytestmark = pytest.mark.integration


async def test_one_login_connects_every_page_and_its_instagram_account(harness, networks):
    async with harness() as h:
        started = await h.start("facebook")
        url = started.json()["authorization_url"]
        query = parse_qs(urlsplit(url).query)
        back = await h.callback(await h.authorize(url))
        listed = await h.http.get("/v1/connected-accounts", params={"brand_id": "brand-1"})
        rows = await h.accounts()
        events = await h.events()
        raw = await h.raw_outbox()
        audit = await h.audit()

    assert started.status_code == 201
    assert url.startswith(f"{networks.meta.url}/v23.0/dialog/oauth?")
    assert query["redirect_uri"] == ["http://test/v1/connections/callback"]
    assert "pages_manage_posts" in query["scope"][0].split(",")
    assert datetime.fromisoformat(started.json()["expires_at"]) > datetime.now(UTC)
    done = outcome(back)
    assert (done["connection"], done["network"], done["tab"]) == (
        "connected",
        "facebook",
        "networks",
    )
    assert sorted(done["accounts"].split(",")) == sorted(str(r.id) for r in rows)
    assert [(r.kind, r.external_id, r.display_name, r.handle) for r in rows] == [
        ("facebook_page", "1001", "Brand Cafe", None),
        ("facebook_page", "1002", "Brand Jobs", None),
        ("instagram_business", "17841400000000001", "Brand Cafe", "brandcafe"),
    ]
    page_1001, page_1002, instagram = rows
    assert opened(page_1001.credentials, CREDENTIALS_KEY) == {
        "access_token": networks.meta.page_tokens["1001"]
    }
    assert (
        opened(page_1002.credentials, CREDENTIALS_KEY)["access_token"]
        == (networks.meta.page_tokens["1002"])
    )
    # Instagram's Graph calls act with the linked Page's token.
    assert opened(instagram.credentials, CREDENTIALS_KEY) == {
        "access_token": networks.meta.page_tokens["1001"],
        "page_id": "1001",
    }
    assert "instagram_content_publish" not in instagram.scopes  # declined at the login
    assert "instagram_manage_comments" in instagram.scopes
    assert {r.status for r in rows} == {"active"}
    assert {r.access_expires_at for r in rows} == {None}  # Page tokens do not expire
    assert {r.connected_by for r in rows} == {audit[-1][1]}
    assert audit[-1][1].startswith("key:")

    assert listed.status_code == 200
    assert {a["kind"] for a in listed.json()["items"]} == {"facebook_page", "instagram_business"}
    assert all("credentials" not in a for a in listed.json()["items"])
    connected = [e for e in events if e["type"] == "workspace.account.connected"]
    assert sorted(e["subject"] for e in connected) == sorted(str(r.id) for r in rows)
    by_id = {e["subject"]: e["data"] for e in connected}
    assert opened(by_id[str(page_1001.id)]["credentials"], EVENT_KEY) == {
        "access_token": networks.meta.page_tokens["1001"]
    }
    assert by_id[str(page_1001.id)]["reconnected"] is False
    for token in networks.meta.page_tokens.values():
        assert token not in listed.text
        assert token.encode() not in raw
        assert token not in back.headers["location"]
    assert [a for a, _ in audit] == [
        "connection.started",
        "account.connected",
        "account.connected",
        "account.connected",
    ]
