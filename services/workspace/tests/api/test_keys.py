"""Keys over REST: organization API keys issued within the caller's scopes, listed and revoked;
personal tokens that act as their member, within the member's role at each request, and die
with the membership (no cache in these tests: at the next request)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from beacon_shared.auth.roles import ROLE_SCOPES

pytestmark = pytest.mark.integration


async def test_an_admin_issues_lists_and_revokes_an_organization_key(
    organization, tokens, workspace
):
    org = await organization(olga="owner", adam="admin")
    admin = workspace(await tokens("adam"), org)
    expires = (datetime.now(UTC) + timedelta(days=30)).isoformat()

    issued = await admin.post(
        "/v1/api-keys",
        json={
            "name": "dashboard",
            "scopes": ["posts:read", "analytics:read"],
            "rate_limit_per_minute": 120,
            "expires_at": expires,
        },
    )
    assert issued.status_code == 201, issued.text
    key = issued.json()
    as_key = await workspace(key["key"], None).get("/v1/me")
    listed = (await admin.get("/v1/api-keys")).json()["items"]
    revoked = await admin.delete(f"/v1/api-keys/{key['id']}")
    after = await workspace(key["key"], None).get("/v1/me")
    listed_after = (await admin.get("/v1/api-keys")).json()["items"]

    assert key["key"].startswith("bk_")
    assert key["prefix"] == key["key"][:10]
    assert key["scopes"] == ["analytics:read", "posts:read"]
    assert key["user_id"] is None
    assert as_key.json()["credential"] == "api_key"
    assert as_key.json()["scopes"] == ["analytics:read", "posts:read"]
    assert [(k["id"], k["revoked_at"]) for k in listed] == [(key["id"], None)]
    assert "key" not in listed[0]
    assert revoked.status_code == 204
    assert after.status_code == 401
    assert listed_after[0]["revoked_at"] is not None


async def test_a_key_cannot_be_given_scopes_its_issuer_lacks(
    organization, tokens, workspace, issue_api_key
):
    org = await organization(olga="owner")
    issuer_key = await issue_api_key(org, scopes=("keys:write", "posts:read"))
    caller = workspace(issuer_key.key, None)

    wider = await caller.post("/v1/api-keys", json={"name": "x", "scopes": ["posts:write"]})
    everything = await caller.post("/v1/api-keys", json={"name": "x", "scopes": ["*"]})
    within = await caller.post("/v1/api-keys", json={"name": "x", "scopes": ["posts:read"]})
    unknown = await caller.post("/v1/api-keys", json={"name": "x", "scopes": ["posts:delete"]})

    assert wider.status_code == 403
    assert wider.json()["code"] == "scopes_not_held"
    assert "posts:write" in wider.json()["detail"]
    assert everything.status_code == 403
    assert within.status_code == 201, within.text
    assert unknown.status_code == 422


async def test_a_key_cannot_expire_in_the_past(organization, tokens, workspace):
    org = await organization(olga="owner")
    owner = workspace(await tokens("olga"), org)

    response = await owner.post(
        "/v1/api-keys",
        json={
            "name": "x",
            "scopes": ["posts:read"],
            "expires_at": (datetime.now(UTC) - timedelta(minutes=1)).isoformat(),
        },
    )

    assert response.status_code == 422
    assert response.json()["code"] == "expiry_in_the_past"


async def test_a_personal_token_acts_as_its_member_within_their_role(
    organization, tokens, workspace
):
    org = await organization(olga="owner", ivan="agent")
    ivan = workspace(await tokens("ivan"), org)
    owner = workspace(await tokens("olga"), org)

    minted = await ivan.post("/v1/me/tokens", json={"name": "laptop"})
    assert minted.status_code == 201, minted.text
    token = minted.json()
    as_token = workspace(token["key"], None)
    me = (await as_token.get("/v1/me")).json()
    ivan_id = me["user"]["id"]
    mine = (await ivan.get("/v1/me/tokens")).json()["items"]
    organization_keys = (await owner.get("/v1/api-keys")).json()["items"]

    assert token["scopes"] == ["*"]
    assert token["user_id"] == ivan_id
    assert me["credential"] == "personal_token"
    assert me["actor"] == f"user:{ivan_id}"
    assert me["role"] == "agent"
    assert set(me["scopes"]) == ROLE_SCOPES["agent"]
    assert [t["id"] for t in mine] == [token["id"]]
    assert organization_keys == []  # a member's token is theirs, not the organization's

    # Demoted, the token can do no more than the new role.
    assert (await owner.patch(f"/v1/members/{ivan_id}", json={"role": "analyst"})).is_success
    assert set((await as_token.get("/v1/me")).json()["scopes"]) == ROLE_SCOPES["analyst"]

    # Removed, the token dies with the membership.
    assert (await owner.delete(f"/v1/members/{ivan_id}")).status_code == 204
    refused = await as_token.get("/v1/me")
    assert refused.status_code == 401


async def test_a_personal_token_stays_within_its_own_scopes_too(organization, tokens, workspace):
    org = await organization(olga="owner", ivan="editor")
    ivan = workspace(await tokens("ivan"), org)

    narrow = await ivan.post("/v1/me/tokens", json={"name": "ci", "scopes": ["posts:read"]})
    beyond = await ivan.post("/v1/me/tokens", json={"name": "ci", "scopes": ["moderation:write"]})
    me = (await workspace(narrow.json()["key"], None).get("/v1/me")).json()

    assert narrow.status_code == 201, narrow.text
    assert me["scopes"] == ["posts:read"]
    assert beyond.status_code == 403
    assert beyond.json()["code"] == "scopes_not_held"


async def test_only_the_signed_in_member_mints_and_manages_their_tokens(
    organization, tokens, workspace, issue_api_key
):
    org = await organization(olga="owner", ivan="agent")
    ivan = workspace(await tokens("ivan"), org)
    token = (await ivan.post("/v1/me/tokens", json={"name": "laptop"})).json()
    key = await issue_api_key(org)

    by_token = await workspace(token["key"], None).post("/v1/me/tokens", json={"name": "more"})
    by_key = await workspace(key.key, None).get("/v1/me/tokens")
    revoked = await ivan.delete(f"/v1/me/tokens/{token['id']}")
    after = await workspace(token["key"], None).get("/v1/me")

    assert by_token.status_code == 403
    assert by_key.status_code == 403
    assert revoked.status_code == 204
    assert after.status_code == 401


async def test_another_members_or_organizations_keys_are_not_found(
    organization, tokens, workspace, issue_api_key
):
    ours = await organization(olga="owner", ivan="agent")
    theirs = await organization(eve="owner")
    owner = workspace(await tokens("olga"), ours)
    ivan = workspace(await tokens("ivan"), ours)
    their_key = await issue_api_key(theirs)
    ivan_token = (await ivan.post("/v1/me/tokens", json={"name": "laptop"})).json()

    responses = {
        "their key": await owner.delete(f"/v1/api-keys/{their_key.id}"),
        "a personal token as a key": await owner.delete(f"/v1/api-keys/{ivan_token['id']}"),
        "another member's token": await owner.delete(f"/v1/me/tokens/{ivan_token['id']}"),
    }

    assert {name: r.status_code for name, r in responses.items()} == dict.fromkeys(responses, 404)
    assert {r.json()["code"] for r in responses.values()} == {"api_key_not_found"}
    assert (await workspace(their_key.key, None).get("/v1/me")).status_code == 200
    assert (await workspace(ivan_token["key"], None).get("/v1/me")).status_code == 200
    assert [k["id"] for k in (await owner.get("/v1/api-keys")).json()["items"]] == []
