"""Members over REST: who is calling, the member list, role changes and removal; the
organization always keeps an owner, and a removed member is refused at once (no cache here)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from beacon_shared.db import create_sessionmaker
from workspace.audit.models import audit_entry

pytestmark = pytest.mark.integration


async def user_id(caller) -> str:
    me = await caller.get("/v1/me")
    assert me.status_code == 200, me.text
    return str(me.json()["user"]["id"])


async def test_me_names_the_caller_whatever_the_credential(
    organization, tokens, workspace, issue_api_key
):
    org = await organization(olga="owner")
    key = await issue_api_key(org, scopes=("posts:read",))

    signed_in = await workspace(await tokens("olga"), org).get("/v1/me")
    by_key = await workspace(key.key, None).get("/v1/me")

    assert signed_in.status_code == 200, signed_in.text
    assert signed_in.json()["organization"] == org
    assert signed_in.json()["role"] == "owner"
    assert signed_in.json()["scopes"] == ["*"]
    assert signed_in.json()["actor"] == f"user:{signed_in.json()['user']['id']}"
    assert by_key.json() == {
        "organization": org,
        "credential": "api_key",
        "actor": f"key:{key.id}",
        "key_id": str(key.id),
        "role": None,
        "user": None,
        "scopes": ["posts:read"],
        "brands": None,
    }


async def test_members_are_listed_a_page_at_a_time(organization, tokens, workspace):
    org = await organization(olga="owner", adam="admin", ivan="agent")
    owner = workspace(await tokens("olga"), org)

    seen, cursor = [], None
    for _ in range(4):
        page = await owner.get(
            "/v1/members", params={"limit": 2, **({"cursor": cursor} if cursor else {})}
        )
        assert page.status_code == 200, page.text
        seen += [(m["email"], m["role"]) for m in page.json()["items"]]
        cursor = page.json()["next_cursor"]
        if cursor is None:
            break

    assert sorted(seen) == [
        ("adam@agency.example", "admin"),
        ("ivan@agency.example", "agent"),
        ("olga@agency.example", "owner"),
    ]
    forged = await owner.get("/v1/members", params={"cursor": "not-a-cursor"})
    assert forged.status_code == 400


async def test_an_admin_changes_a_role_and_the_change_is_recorded(
    organization, tokens, workspace, engine
):
    org = await organization(olga="owner", adam="admin", ivan="analyst")
    admin = workspace(await tokens("adam"), org)
    ivan = workspace(await tokens("ivan"), org)
    ivan_id = await user_id(ivan)

    changed = await admin.patch(f"/v1/members/{ivan_id}", json={"role": "editor"})
    me = await ivan.get("/v1/me")

    assert changed.status_code == 200, changed.text
    assert changed.json()["role"] == "editor"
    assert me.json()["role"] == "editor"  # no cache in these tests: at the next request
    async with create_sessionmaker(engine)() as session:
        entry = (
            await session.execute(
                select(audit_entry).where(
                    audit_entry.c.tenant_id == org, audit_entry.c.action == "member.role_changed"
                )
            )
        ).one()
    assert entry.actor == f"user:{await user_id(admin)}"
    assert entry.target == f"user:{ivan_id}"
    assert entry.detail == {"from": "analyst", "to": "editor"}


async def test_the_last_owner_can_be_neither_demoted_nor_removed(organization, tokens, workspace):
    org = await organization(olga="owner", adam="admin")
    owner = workspace(await tokens("olga"), org)
    olga_id = await user_id(owner)

    demoted = await owner.patch(f"/v1/members/{olga_id}", json={"role": "admin"})
    removed = await owner.delete(f"/v1/members/{olga_id}")

    assert demoted.status_code == 409
    assert demoted.json()["code"] == "last_owner"
    assert removed.status_code == 409
    assert removed.json()["code"] == "last_owner"
    assert (await owner.get("/v1/me")).json()["role"] == "owner"


async def test_with_a_second_owner_the_first_may_step_down(organization, tokens, workspace):
    org = await organization(olga="owner", adam="owner")
    olga = workspace(await tokens("olga"), org)
    adam = workspace(await tokens("adam"), org)

    stepped_down = await olga.patch(f"/v1/members/{await user_id(olga)}", json={"role": "admin"})
    last = await olga.delete(f"/v1/members/{await user_id(adam)}")  # an admin now

    assert stepped_down.status_code == 200, stepped_down.text
    assert last.status_code == 403
    assert last.json()["code"] == "owner_required"


async def test_only_an_owner_makes_or_unmakes_an_owner(organization, tokens, workspace):
    org = await organization(olga="owner", adam="admin", ivan="agent")
    admin = workspace(await tokens("adam"), org)
    olga_id = await user_id(workspace(await tokens("olga"), org))
    ivan_id = await user_id(workspace(await tokens("ivan"), org))

    promoted = await admin.patch(f"/v1/members/{ivan_id}", json={"role": "owner"})
    demoted = await admin.patch(f"/v1/members/{olga_id}", json={"role": "analyst"})
    removed = await admin.delete(f"/v1/members/{olga_id}")

    assert [promoted.status_code, demoted.status_code, removed.status_code] == [403, 403, 403]
    assert {promoted.json()["code"], demoted.json()["code"], removed.json()["code"]} == {
        "owner_required"
    }


async def test_a_removed_member_is_refused_at_their_next_request(organization, tokens, workspace):
    org = await organization(olga="owner", ivan="manager")
    owner = workspace(await tokens("olga"), org)
    ivan = workspace(await tokens("ivan"), org)
    ivan_id = await user_id(ivan)

    removed = await owner.delete(f"/v1/members/{ivan_id}")
    after = await ivan.get("/v1/me")
    gone = await owner.get(f"/v1/members/{ivan_id}")

    assert removed.status_code == 204
    assert after.status_code == 403
    assert after.json()["code"] == "forbidden"
    assert gone.status_code == 404
    assert gone.json()["code"] == "member_not_found"


async def test_a_member_without_people_scopes_manages_nobody(organization, tokens, workspace):
    org = await organization(olga="owner", ivan="manager")
    ivan = workspace(await tokens("ivan"), org)
    olga_id = await user_id(workspace(await tokens("olga"), org))

    responses = [
        await ivan.get("/v1/members"),
        await ivan.patch(f"/v1/members/{olga_id}", json={"role": "analyst"}),
        await ivan.delete(f"/v1/members/{olga_id}"),
        await ivan.post("/v1/invitations", json={"email": "x@agency.example", "role": "agent"}),
    ]

    assert [r.status_code for r in responses] == [403, 403, 403, 403]


async def test_another_organizations_people_are_not_found(organization, tokens, workspace):
    ours = await organization(olga="owner")
    theirs = await organization(eve="owner")
    owner = workspace(await tokens("olga"), ours)
    eve = workspace(await tokens("eve"), theirs)
    eve_id = await user_id(eve)
    their_invitation = (
        await eve.post("/v1/invitations", json={"email": "x@elsewhere.example", "role": "agent"})
    ).json()

    responses = {
        "get member": await owner.get(f"/v1/members/{eve_id}"),
        "change member": await owner.patch(f"/v1/members/{eve_id}", json={"role": "analyst"}),
        "remove member": await owner.delete(f"/v1/members/{eve_id}"),
        "revoke invitation": await owner.delete(f"/v1/invitations/{their_invitation['id']}"),
    }
    listed = (await owner.get("/v1/members")).json()["items"]
    invitations = (await owner.get("/v1/invitations")).json()["items"]

    assert {name: r.status_code for name, r in responses.items()} == dict.fromkeys(responses, 404)
    assert [m["email"] for m in listed] == ["olga@agency.example"]
    assert invitations == []
    assert (await eve.get("/v1/me")).json()["role"] == "owner"
    theirs_now = (await eve.get("/v1/invitations")).json()["items"]
    assert [i["status"] for i in theirs_now] == ["pending"]
