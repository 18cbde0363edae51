"""The audit log: every state-changing call of every service is recorded server-side — who,
with which credential, what, which resource, from where and its outcome, refusals included — and
an organization reads its own, and only its own, through the workspace."""

from __future__ import annotations

import uuid

import pytest

pytestmark = pytest.mark.integration


async def test_calls_on_two_services_are_recorded_and_read_per_organization(
    build_app, api_client, issue_api_key, register_brands
):
    org, other = f"org-{uuid.uuid4().hex[:10]}", f"org-{uuid.uuid4().hex[:10]}"
    await register_brands(org, "brand-a")
    admin = await issue_api_key(org)
    writer = await issue_api_key(org, scopes=("posts:write", "posts:read"))
    stranger = await issue_api_key(other)
    as_admin = {"Authorization": f"Bearer {admin.key}", "User-Agent": "dashboard/1.0"}
    as_writer = {"Authorization": f"Bearer {writer.key}"}

    async with (
        api_client(build_app("workspace")) as workspace,
        api_client(build_app("publisher")) as publisher,
    ):
        created = await workspace.post(
            "/v1/brands", json={"id": "brand-b", "name": "B"}, headers=as_admin
        )
        refused = await publisher.post(
            "/v1/webhook-endpoints",
            json={"url": "https://hooks.example.com/x", "events": ["post.published"]},
            headers=as_writer,
        )
        missing = await publisher.post(f"/v1/posts/{uuid.uuid4()}/cancel", headers=as_writer)
        read = await publisher.get("/v1/posts", headers=as_writer)
        log = await workspace.get("/v1/audit-log", headers=as_admin)
        by_writer = await workspace.get(
            "/v1/audit-log", params={"actor": f"key:{writer.id}"}, headers=as_admin
        )
        theirs = await workspace.get(
            "/v1/audit-log", headers={"Authorization": f"Bearer {stranger.key}"}
        )
        not_allowed = await workspace.get("/v1/audit-log", headers=as_writer)

    assert (created.status_code, refused.status_code, missing.status_code) == (201, 403, 404)
    assert read.status_code == 200
    assert log.status_code == 200, log.text
    entries = log.json()["items"]
    # Newest first; reads are not state changes, and the log's own reads are not either.
    assert [(e["service"], e["method"], e["route"], e["status"]) for e in entries] == [
        ("publisher", "POST", "/v1/posts/{post_id}/cancel", 404),
        ("publisher", "POST", "/v1/webhook-endpoints", 403),
        ("workspace", "POST", "/v1/brands", 201),
    ]
    cancel, _, brand = entries
    assert (brand["actor"], brand["credential"], brand["user_agent"]) == (
        f"key:{admin.id}",
        "api_key",
        "dashboard/1.0",
    )
    assert cancel["actor"] == f"key:{writer.id}"
    assert set(cancel["resource"]) == {"post_id"}
    assert cancel["client_address"] is not None
    assert cancel["request_id"]
    assert [e["route"] for e in by_writer.json()["items"]] == [
        "/v1/posts/{post_id}/cancel",
        "/v1/webhook-endpoints",
    ]
    assert theirs.json()["items"] == []
    assert not_allowed.status_code == 403
