"""The registry over REST: listed by brand and network, paged, read one by one, disconnected,
never with credentials, never another organization's."""

from __future__ import annotations

import pytest

from services.workspace.tests.connections.conftest import outcome

pytestmark = pytest.mark.integration


async def test_accounts_are_listed_by_brand_and_network_and_paged(harness):
    async with harness() as h:
        await h.connect("facebook", brand="cafe")
        await h.connect("x", brand="jobs")
        everything = (await h.http.get("/v1/connected-accounts")).json()
        cafe = (await h.http.get("/v1/connected-accounts", params={"brand_id": "cafe"})).json()
        instagram = (
            await h.http.get("/v1/connected-accounts", params={"network": "instagram"})
        ).json()
        first = (await h.http.get("/v1/connected-accounts", params={"limit": 3})).json()
        rest = (
            await h.http.get(
                "/v1/connected-accounts", params={"limit": 3, "cursor": first["next_cursor"]}
            )
        ).json()
        one = await h.http.get(f"/v1/connected-accounts/{instagram['items'][0]['id']}")

    assert len(everything["items"]) == 4
    assert everything["items"][0]["kind"] == "x_user"  # newest first
    assert {a["brand_id"] for a in cafe["items"]} == {"cafe"}
    assert len(cafe["items"]) == 3
    assert [a["kind"] for a in instagram["items"]] == ["instagram_business"]
    assert len(first["items"]) == 3
    assert rest["next_cursor"] is None
    assert {a["id"] for a in first["items"] + rest["items"]} == {
        a["id"] for a in everything["items"]
    }
    assert one.status_code == 200
    assert one.json()["handle"] == "brandcafe"
    assert "credentials" not in one.json()


async def test_a_disconnected_account_loses_its_credentials_and_says_so(harness):
    async with harness() as h:
        back = await h.connect("x")
        account_id = outcome(back)["accounts"]
        gone = await h.http.delete(f"/v1/connected-accounts/{account_id}")
        again = await h.http.delete(f"/v1/connected-accounts/{account_id}")
        shown = (await h.http.get(f"/v1/connected-accounts/{account_id}")).json()
        [row] = await h.accounts()
        events = await h.events()
        audit = await h.audit()
        reconnected = await h.connect("x")
        [back_again] = await h.accounts()

    assert (gone.status_code, again.status_code) == (204, 204)
    assert shown["status"] == "disconnected"
    assert shown["disconnected_by"] == audit[-1][1]
    assert row.credentials is None
    assert [e["type"] for e in events] == [
        "workspace.account.connected",
        "workspace.account.disconnected",
    ]
    assert "credentials" not in events[1]["data"]
    assert [a for a, _ in audit][-1] == "account.disconnected"
    assert outcome(reconnected)["accounts"] == account_id
    assert back_again.status == "active"
    assert back_again.credentials is not None


async def test_another_organizations_accounts_are_not_found(harness):
    async with harness() as a:
        account_id = outcome(await a.connect("x"))["accounts"]
    async with harness() as b:
        read = await b.http.get(f"/v1/connected-accounts/{account_id}")
        removed = await b.http.delete(f"/v1/connected-accounts/{account_id}")
        listed = (await b.http.get("/v1/connected-accounts")).json()

    assert (read.status_code, removed.status_code) == (404, 404)
    assert read.json()["code"] == "connected_account_not_found"
    assert listed["items"] == []


async def test_a_signed_in_member_connects_in_their_own_name(
    harness, organization, tokens, issuer, engine
):
    org = await organization(olga="owner")
    async with harness(
        organization=org, bearer=await tokens("olga"), oidc_issuer=issuer.issuer
    ) as h:
        back = await h.connect("x")
        me = (await h.http.get("/v1/me")).json()
        [row] = await h.accounts()
        shown = (await h.http.get(f"/v1/connected-accounts/{row.id}")).json()
        audit = await h.audit()

    assert outcome(back)["connection"] == "connected"
    person = f"user:{me['user']['id']}"
    assert row.connected_by == person
    assert shown["connected_by"] == person
    assert {actor for _, actor in audit} == {person}
