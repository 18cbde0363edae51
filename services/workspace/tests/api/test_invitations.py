"""Invitations over REST: an admin invites, the invitee signs in with the issuer and joins with
the invited role; expired, revoked, reused, unknown and misdirected tokens are clear problems."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from beacon_shared.auth.roles import ROLE_SCOPES
from beacon_shared.db import create_sessionmaker
from workspace.audit.models import audit_entry
from workspace.invitations.models import invitation

pytestmark = pytest.mark.integration


async def invite(admin, email: str, role: str) -> dict:
    response = await admin.post("/v1/invitations", json={"email": email, "role": role})
    assert response.status_code == 201, response.text
    return response.json()


async def test_an_invitee_signs_in_accepts_and_acts_with_their_role(
    organization, tokens, workspace, engine
):
    org = await organization(olga="owner", adam="admin")
    admin = workspace(await tokens("adam"), org)
    created = await invite(admin, "Ivan@Agency.example", "analyst")
    assert created["token"].startswith("bi_")
    assert created["status"] == "pending"
    assert datetime.fromisoformat(created["expires_at"]) - datetime.now(UTC) > timedelta(days=6)

    ivan = workspace(await tokens("ivan"), org)
    before = await ivan.get("/v1/me")
    joined = await ivan.post("/v1/invitations/accept", json={"token": created["token"]})
    me = await ivan.get("/v1/me")
    members = await ivan.get("/v1/members")  # an analyst does not manage people
    listed = await admin.get("/v1/invitations")

    assert before.status_code == 403  # not a member yet
    assert joined.status_code == 200, joined.text
    assert joined.json()["organization"] == org
    assert joined.json()["member"]["role"] == "analyst"
    assert me.status_code == 200, me.text
    assert me.json()["role"] == "analyst"
    assert me.json()["credential"] == "sign_in"
    assert set(me.json()["scopes"]) == ROLE_SCOPES["analyst"]
    assert me.json()["user"]["email"] == "ivan@agency.example"
    assert members.status_code == 403
    (shown,) = listed.json()["items"]
    assert shown["status"] == "accepted"
    assert shown["accepted_by"] == me.json()["user"]["id"]
    assert "token" not in shown
    async with create_sessionmaker(engine)() as session:
        stored = await session.scalar(
            select(invitation.c.token_hash).where(invitation.c.id == created["id"])
        )
        actors = dict(
            (
                await session.execute(
                    select(audit_entry.c.action, audit_entry.c.actor).where(
                        audit_entry.c.tenant_id == org
                    )
                )
            ).all()
        )
    assert stored != created["token"]
    assert created["token"] not in stored
    assert actors["invitation.created"] == created["created_by"]
    assert actors["invitation.created"].startswith("user:")
    assert actors["invitation.accepted"] == f"user:{me.json()['user']['id']}"


async def test_a_used_token_is_a_409_and_an_unknown_one_a_404(organization, tokens, workspace):
    org = await organization(olga="owner")
    owner = workspace(await tokens("olga"), org)
    created = await invite(owner, "ivan@agency.example", "editor")
    ivan = workspace(await tokens("ivan"), org)
    assert (await ivan.post("/v1/invitations/accept", json={"token": created["token"]})).is_success

    again = await ivan.post("/v1/invitations/accept", json={"token": created["token"]})
    unknown = await ivan.post("/v1/invitations/accept", json={"token": "bi_nothing-like-it"})

    assert again.status_code == 409
    assert again.json()["code"] == "invitation_used"
    assert unknown.status_code == 404
    assert unknown.json()["code"] == "invitation_not_found"


async def test_a_revoked_or_expired_invitation_is_gone(organization, tokens, workspace, engine):
    org = await organization(olga="owner")
    owner = workspace(await tokens("olga"), org)
    revoked = await invite(owner, "ivan@agency.example", "agent")
    expired = await invite(owner, "ivan@agency.example", "agent")
    assert (await owner.delete(f"/v1/invitations/{revoked['id']}")).status_code == 204
    async with create_sessionmaker(engine)() as session, session.begin():
        await session.execute(
            update(invitation)
            .where(invitation.c.id == expired["id"])
            .values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )
    ivan = workspace(await tokens("ivan"), org)

    refused = await ivan.post("/v1/invitations/accept", json={"token": revoked["token"]})
    late = await ivan.post("/v1/invitations/accept", json={"token": expired["token"]})
    statuses = {i["id"]: i["status"] for i in (await owner.get("/v1/invitations")).json()["items"]}

    assert refused.status_code == 410
    assert refused.json()["code"] == "invitation_revoked"
    assert late.status_code == 410
    assert late.json()["code"] == "invitation_expired"
    assert statuses == {revoked["id"]: "revoked", expired["id"]: "expired"}
    assert (await ivan.get("/v1/me")).status_code == 403  # still not a member


async def test_an_invitation_is_for_the_address_it_names(organization, tokens, workspace):
    org = await organization(olga="owner")
    owner = workspace(await tokens("olga"), org)
    created = await invite(owner, "ivan@agency.example", "admin")
    eve = workspace(await tokens("eve"), org)

    response = await eve.post("/v1/invitations/accept", json={"token": created["token"]})

    assert response.status_code == 403
    assert response.json()["code"] == "invitation_for_another_email"


async def test_a_member_cannot_join_again(organization, tokens, workspace):
    org = await organization(olga="owner", ivan="agent")
    owner = workspace(await tokens("olga"), org)
    created = await invite(owner, "ivan@agency.example", "admin")
    ivan = workspace(await tokens("ivan"), org)

    response = await ivan.post("/v1/invitations/accept", json={"token": created["token"]})
    me = await ivan.get("/v1/me")

    assert response.status_code == 409
    assert response.json()["code"] == "already_a_member"
    assert me.json()["role"] == "agent"


async def test_an_api_key_cannot_accept_an_invitation(
    organization, tokens, workspace, issue_api_key
):
    org = await organization(olga="owner")
    owner = workspace(await tokens("olga"), org)
    created = await invite(owner, "ivan@agency.example", "admin")
    key = await issue_api_key(org)

    response = await workspace(key.key, None).post(
        "/v1/invitations/accept", json={"token": created["token"]}
    )

    assert response.status_code == 403


async def test_only_an_owner_invites_an_owner(organization, tokens, workspace):
    org = await organization(olga="owner", adam="admin")
    admin = workspace(await tokens("adam"), org)
    owner = workspace(await tokens("olga"), org)

    by_admin = await admin.post(
        "/v1/invitations", json={"email": "ivan@agency.example", "role": "owner"}
    )
    by_owner = await owner.post(
        "/v1/invitations", json={"email": "ivan@agency.example", "role": "owner"}
    )

    assert by_admin.status_code == 403
    assert by_admin.json()["code"] == "owner_required"
    assert by_owner.status_code == 201


async def test_an_accepted_invitation_cannot_be_revoked(organization, tokens, workspace):
    org = await organization(olga="owner")
    owner = workspace(await tokens("olga"), org)
    created = await invite(owner, "ivan@agency.example", "analyst")
    ivan = workspace(await tokens("ivan"), org)
    assert (await ivan.post("/v1/invitations/accept", json={"token": created["token"]})).is_success

    response = await owner.delete(f"/v1/invitations/{created['id']}")

    assert response.status_code == 409
    assert response.json()["code"] == "invitation_used"


async def test_an_invitation_needs_an_address_and_a_known_role(organization, tokens, workspace):
    org = await organization(olga="owner")
    owner = workspace(await tokens("olga"), org)

    no_address = await owner.post("/v1/invitations", json={"email": "ivan", "role": "admin"})
    no_role = await owner.post(
        "/v1/invitations", json={"email": "ivan@agency.example", "role": "boss"}
    )

    assert no_address.status_code == 422
    assert no_role.status_code == 422


async def test_an_invitee_with_brand_roles_joins_limited_to_those_brands(
    organization, tokens, workspace
):
    org = await organization(olga="owner")
    owner = workspace(await tokens("olga"), org)
    for brand_id in ("client-brand", "other-brand"):
        await owner.post("/v1/brands", json={"id": brand_id, "name": brand_id})
    unknown = await owner.post(
        "/v1/invitations",
        json={"email": "ivan@agency.example", "role": "analyst", "brand_roles": {"nope": "agent"}},
    )
    created = await owner.post(
        "/v1/invitations",
        json={
            "email": "ivan@agency.example",
            "role": "analyst",
            "brand_roles": {"client-brand": "approver"},
        },
    )

    ivan = workspace(await tokens("ivan"), org)
    joined = await ivan.post("/v1/invitations/accept", json={"token": created.json()["token"]})
    me = (await ivan.get("/v1/me")).json()

    assert (unknown.status_code, unknown.json()["code"]) == (422, "unknown_brand")
    assert created.json()["brand_roles"] == {"client-brand": "approver"}
    assert joined.status_code == 200, joined.text
    assert joined.json()["member"]["brand_roles"] == {"client-brand": "approver"}
    assert set(me["brands"]) == {"client-brand"}
    assert "posts:approve" in me["brands"]["client-brand"]
    assert [b["id"] for b in (await ivan.get("/v1/brands")).json()["items"]] == ["client-brand"]


async def test_an_invitation_whose_brands_were_all_deleted_is_void(organization, tokens, workspace):
    org = await organization(olga="owner")
    owner = workspace(await tokens("olga"), org)
    await owner.post("/v1/brands", json={"id": "short-lived", "name": "Short lived"})
    created = await owner.post(
        "/v1/invitations",
        json={
            "email": "ivan@agency.example",
            "role": "agent",
            "brand_roles": {"short-lived": "agent"},
        },
    )
    await owner.delete("/v1/brands/short-lived")

    ivan = workspace(await tokens("ivan"), org)
    refused = await ivan.post("/v1/invitations/accept", json={"token": created.json()["token"]})
    me = await ivan.get("/v1/me")

    assert (refused.status_code, refused.json()["code"]) == (410, "invitation_revoked")
    assert me.status_code == 403  # not a member: nothing was written
