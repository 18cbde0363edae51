"""Erasure requests over REST: asked by an owner or admin, announced by `erasure.requested`, and
completed on the receipt once every service holding authors' data has reported."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from beacon_shared.contracts import analytics, inbox, ingest, moderation
from beacon_shared.contracts.workspace import ErasureRequested
from beacon_shared.db import create_sessionmaker
from beacon_shared.events import Envelope, decode
from workspace.audit.models import audit_entry
from workspace.db import outbox
from workspace.erasures.handlers import COMPLETIONS, erasures_consumer
from workspace.erasures.service import ERASING_SERVICES

pytestmark = pytest.mark.integration

REPORTS = {
    "ingest": ingest.ErasureCompleted,
    "moderation": moderation.ErasureCompleted,
    "analytics": analytics.ErasureCompleted,
    "inbox": inbox.ErasureCompleted,
}


async def owner_with_brands(organization, tokens, workspace):
    org = await organization(olga="owner", ivan="manager")
    owner = workspace(await tokens("olga"), org)
    for brand_id in ("brand-a", "brand-b"):
        await owner.post("/v1/brands", json={"id": brand_id, "name": brand_id})
    return org, owner


async def report(engine, org, service, erasure_id, erased, at):
    payload = REPORTS[service](erasure_id=erasure_id, erased=erased, completed_at=at)
    env = Envelope.build(payload, tenant_id=org, subject=str(erasure_id), source=f"/{service}")
    handle = erasures_consumer().handlers[payload.event_type]
    async with create_sessionmaker(engine)() as session, session.begin():
        await handle(session, env)


def test_every_erasing_service_has_a_report_read():
    assert set(COMPLETIONS) == set(ERASING_SERVICES)


async def test_a_request_is_announced_and_completed_once_every_service_reported(
    organization, tokens, workspace, engine
):
    org, owner = await owner_with_brands(organization, tokens, workspace)

    asked = await owner.post(
        "/v1/erasures", json={"brand_id": "brand-a", "network": "instagram", "author_id": "u-1"}
    )

    assert asked.status_code == 202, asked.text
    body = asked.json()
    assert (body["status"], body["completed_at"]) == ("pending", None)
    assert [(s["service"], s["status"]) for s in body["services"]] == [
        (name, "pending") for name in ERASING_SERVICES
    ]
    erasure_id = uuid.UUID(body["id"])
    async with engine.connect() as conn:
        (value,) = (
            await conn.scalars(select(outbox.c.value).where(outbox.c.key == str(erasure_id)))
        ).all()
        audited = (
            await conn.execute(select(audit_entry).where(audit_entry.c.target == str(erasure_id)))
        ).one()
    announced = decode(value).payload(ErasureRequested)
    assert (announced.brand_id, announced.network, announced.author_id) == (
        "brand-a",
        "instagram",
        "u-1",
    )
    assert "u-1" not in str(audited.detail)

    now = datetime.now(UTC)
    times = {name: now + timedelta(seconds=i) for i, name in enumerate(ERASING_SERVICES)}
    for name in ERASING_SERVICES[:-1]:
        await report(engine, org, name, erasure_id, {"rows": 2}, times[name])
    # A redelivered report changes nothing.
    await report(engine, org, "ingest", erasure_id, {"rows": 9}, now)
    partial = (await owner.get(f"/v1/erasures/{erasure_id}")).json()
    last = ERASING_SERVICES[-1]
    await report(engine, org, last, erasure_id, {"messages": 3}, times[last])
    done = (await owner.get(f"/v1/erasures/{erasure_id}")).json()
    listed = (await owner.get("/v1/erasures")).json()

    assert partial["status"] == "pending"
    assert {s["service"]: s["erased"] for s in partial["services"]} == {
        **{name: {"rows": 2} for name in ERASING_SERVICES[:-1]},
        last: {},
    }
    assert done["status"] == "completed"
    assert datetime.fromisoformat(done["completed_at"]) == times[last]
    assert {s["service"]: s["status"] for s in done["services"]} == dict.fromkeys(
        ERASING_SERVICES, "completed"
    )
    assert [item["id"] for item in listed["items"]] == [str(erasure_id)]
    assert listed["items"][0]["status"] == "completed"


async def test_bad_requests_are_refused_with_their_problem(organization, tokens, workspace):
    org, owner = await owner_with_brands(organization, tokens, workspace)
    manager = workspace(await tokens("ivan"), org)
    issued = await owner.post(
        "/v1/api-keys",
        json={
            "name": "brand a privacy",
            "scopes": ["privacy:write", "privacy:read"],
            "brand_ids": ["brand-a"],
        },
    )
    limited = workspace(issued.json()["key"], None)
    ask = {"network": "instagram", "author_id": "u-1"}

    not_admin = await manager.post("/v1/erasures", json=ask)
    other_brand = await limited.post("/v1/erasures", json={**ask, "brand_id": "brand-b"})
    every_brand = await limited.post("/v1/erasures", json=ask)
    unknown_brand = await owner.post("/v1/erasures", json={**ask, "brand_id": "ghost"})
    missing = await owner.post("/v1/erasures", json={"network": "instagram"})
    bad_network = await owner.post("/v1/erasures", json={**ask, "network": "myspace"})
    unknown = await owner.get(f"/v1/erasures/{uuid.uuid4()}")
    own_brand = await limited.post("/v1/erasures", json={**ask, "brand_id": "brand-a"})

    assert not_admin.status_code == 403
    assert (other_brand.status_code, other_brand.json()["code"]) == (403, "brand_not_allowed")
    assert (every_brand.status_code, every_brand.json()["code"]) == (403, "brand_not_allowed")
    assert (unknown_brand.status_code, unknown_brand.json()["code"]) == (422, "unknown_brand")
    assert (missing.status_code, missing.json()["code"]) == (422, "validation_failed")
    assert bad_network.status_code == 422
    assert (unknown.status_code, unknown.json()["code"]) == (404, "erasure_not_found")
    assert own_brand.status_code == 202, own_brand.text
    seen = (await limited.get("/v1/erasures")).json()["items"]
    assert [item["brand_id"] for item in seen] == ["brand-a"]
