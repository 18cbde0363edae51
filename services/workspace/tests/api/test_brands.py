"""The brand registry over REST: brands registered, changed and deleted by the organization,
announced by `brand.configured`, recorded in the audit, and members and keys limited to some
brands seeing and changing nothing of the others."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from beacon_shared.auth.tables import brand as registry
from beacon_shared.contracts.publisher import BrandConfigured as PublisherBrandConfigured
from beacon_shared.contracts.workspace import BrandConfigured
from beacon_shared.db import create_sessionmaker
from beacon_shared.events import Envelope, decode
from workspace.audit.models import audit_entry
from workspace.brands.handlers import publisher_brand_configured
from workspace.db import outbox

pytestmark = pytest.mark.integration


async def announced(engine, org: str, brand_id: str) -> list[BrandConfigured]:
    """The brand's `brand.configured` events staged in the workspace's outbox, in order."""
    async with engine.connect() as conn:
        rows = await conn.execute(
            select(outbox.c.value).where(outbox.c.key == brand_id).order_by(outbox.c.id)
        )
        envelopes = [decode(r.value) for r in rows]
    return [e.payload(BrandConfigured) for e in envelopes if e.tenantid == org]


async def test_an_owner_registers_changes_and_deletes_a_brand(
    organization, tokens, workspace, engine
):
    org = await organization(olga="owner")
    owner = workspace(await tokens("olga"), org)

    created = await owner.post(
        "/v1/brands",
        json={"id": "decathlon-fr", "name": "Decathlon France", "timezone": "Europe/Paris"},
    )
    changed = await owner.patch(
        "/v1/brands/decathlon-fr", json={"languages": ["fr", "en"], "approval_required": True}
    )
    listed = await owner.get("/v1/brands")
    deleted = await owner.delete("/v1/brands/decathlon-fr")
    after = await owner.get("/v1/brands/decathlon-fr")
    listed_after = await owner.get("/v1/brands")

    assert created.status_code == 201, created.text
    assert created.json() | {"created_at": None, "configured_at": None} == {
        "id": "decathlon-fr",
        "name": "Decathlon France",
        "timezone": "Europe/Paris",
        "languages": [],
        "approval_required": False,
        "self_approval_allowed": False,
        "pause_on_alert": False,
        "created_at": None,
        "configured_at": None,
    }
    assert changed.status_code == 200, changed.text
    assert (changed.json()["timezone"], changed.json()["languages"]) == (
        "Europe/Paris",
        ["fr", "en"],
    )
    assert changed.json()["approval_required"] is True
    assert [b["id"] for b in listed.json()["items"]] == ["decathlon-fr"]
    assert deleted.status_code == 204
    assert after.status_code == 404
    assert after.json()["code"] == "brand_not_found"
    assert listed_after.json()["items"] == []

    events = await announced(engine, org, "decathlon-fr")
    assert [(e.languages, e.approval_required, e.deleted) for e in events] == [
        ([], False, False),
        (["fr", "en"], True, False),
        (["fr", "en"], True, True),
    ]
    assert events[0].configured_at < events[1].configured_at < events[2].configured_at
    async with engine.connect() as conn:
        actions = (
            await conn.execute(
                select(audit_entry.c.action, audit_entry.c.actor, audit_entry.c.target)
                .where(audit_entry.c.tenant_id == org)
                .order_by(audit_entry.c.recorded_at)
            )
        ).all()
    me = (await owner.get("/v1/me")).json()["actor"]
    assert [tuple(a) for a in actions] == [
        ("brand.created", me, "brand:decathlon-fr"),
        ("brand.changed", me, "brand:decathlon-fr"),
        ("brand.deleted", me, "brand:decathlon-fr"),
    ]


async def test_a_deleted_brand_can_be_registered_again(organization, tokens, workspace):
    org = await organization(olga="owner")
    owner = workspace(await tokens("olga"), org)
    await owner.post("/v1/brands", json={"id": "netflix-fr", "name": "Netflix"})
    await owner.delete("/v1/brands/netflix-fr")

    again = await owner.post("/v1/brands", json={"id": "netflix-fr", "name": "Netflix France"})

    assert again.status_code == 201, again.text
    assert again.json()["name"] == "Netflix France"


@pytest.mark.parametrize(
    ("body", "code", "status"),
    [
        ({"id": "Not A Slug", "name": "x"}, "validation_failed", 422),
        ({"id": "b", "name": "x", "timezone": "Mars/Olympus"}, "validation_failed", 422),
        ({"id": "b", "name": "x", "languages": ["french"]}, "validation_failed", 422),
        ({"id": "b", "name": ""}, "validation_failed", 422),
        ({"id": "b", "name": "x", "colour": "red"}, "validation_failed", 422),
        ({"id": "b", "name": "x", "approval_required": "yes"}, "validation_failed", 422),
        ({"id": "b", "name": "x", "pause_on_alert": 1}, "validation_failed", 422),
    ],
)
async def test_a_bad_brand_is_a_422(organization, tokens, workspace, body, code, status):
    org = await organization(olga="owner")
    owner = workspace(await tokens("olga"), org)

    answer = await owner.post("/v1/brands", json=body)

    assert answer.status_code == status, answer.text
    assert answer.json()["code"] == code


async def test_a_live_brand_id_is_taken(organization, tokens, workspace):
    org = await organization(olga="owner")
    owner = workspace(await tokens("olga"), org)
    await owner.post("/v1/brands", json={"id": "acme", "name": "Acme"})

    again = await owner.post("/v1/brands", json={"id": "acme", "name": "Acme 2"})
    unknown = await owner.patch("/v1/brands/nope", json={"name": "x"})

    assert again.status_code == 409
    assert again.json()["code"] == "brand_exists"
    assert unknown.status_code == 404
    assert unknown.json()["code"] == "brand_not_found"


async def test_a_member_with_brand_roles_sees_and_changes_only_their_brands(
    organization, tokens, workspace
):
    org = await organization(olga="owner", ivan="manager")
    owner = workspace(await tokens("olga"), org)
    for brand_id in ("brand-a", "brand-b"):
        await owner.post("/v1/brands", json={"id": brand_id, "name": brand_id})
    ivan_id = (await workspace(await tokens("ivan"), org).get("/v1/me")).json()["user"]["id"]

    limited = await owner.patch(
        f"/v1/members/{ivan_id}", json={"brand_roles": {"brand-a": "manager"}}
    )
    ivan = workspace(await tokens("ivan"), org)
    me = await ivan.get("/v1/me")
    seen = await ivan.get("/v1/brands")
    own = await ivan.patch("/v1/brands/brand-a", json={"name": "Brand A"})
    other = await ivan.patch("/v1/brands/brand-b", json={"name": "Mine now"})
    other_read = await ivan.get("/v1/brands/brand-b")
    new_brand = await ivan.post("/v1/brands", json={"id": "brand-c", "name": "c"})
    unknown_brand = await owner.patch(
        f"/v1/members/{ivan_id}", json={"brand_roles": {"brand-z": "agent"}}
    )

    assert limited.status_code == 200, limited.text
    assert limited.json()["brand_roles"] == {"brand-a": "manager"}
    assert set(me.json()["brands"]) == {"brand-a"}
    assert "brands:write" in me.json()["brands"]["brand-a"]
    assert [b["id"] for b in seen.json()["items"]] == ["brand-a"]
    assert own.status_code == 200, own.text
    assert (other.status_code, other.json()["code"]) == (403, "brand_not_allowed")
    assert (other_read.status_code, other_read.json()["code"]) == (403, "brand_not_allowed")
    assert new_brand.status_code == 403
    assert (unknown_brand.status_code, unknown_brand.json()["code"]) == (422, "unknown_brand")
    assert (await owner.get("/v1/brands/brand-b")).json()["name"] == "brand-b"

    # An empty map gives every brand back, with the organization role.
    freed = await owner.patch(f"/v1/members/{ivan_id}", json={"brand_roles": {}})
    assert freed.json()["brand_roles"] == {}
    assert (await ivan.get("/v1/me")).json()["brands"] is None


async def test_a_key_limited_to_brands_reaches_only_them(organization, tokens, workspace):
    org = await organization(olga="owner")
    owner = workspace(await tokens("olga"), org)
    for brand_id in ("brand-a", "brand-b"):
        await owner.post("/v1/brands", json={"id": brand_id, "name": brand_id})

    issued = await owner.post(
        "/v1/api-keys",
        json={"name": "client portal", "scopes": ["brands:read"], "brand_ids": ["brand-a"]},
    )
    unknown = await owner.post(
        "/v1/api-keys",
        json={"name": "x", "scopes": ["brands:read"], "brand_ids": ["brand-a", "ghost"]},
    )
    key = workspace(issued.json()["key"], None)
    seen = await key.get("/v1/brands")
    other = await key.get("/v1/brands/brand-b")
    organization_wide = await key.get("/v1/members")

    assert issued.status_code == 201, issued.text
    assert issued.json()["brand_ids"] == ["brand-a"]
    assert (unknown.status_code, unknown.json()["code"]) == (422, "unknown_brand")
    assert "ghost" in unknown.json()["detail"]
    assert [b["id"] for b in seen.json()["items"]] == ["brand-a"]
    assert other.status_code == 403
    assert organization_wide.status_code == 403
    listed = (await owner.get("/v1/api-keys")).json()["items"]
    assert [k["brand_ids"] for k in listed] == [["brand-a"]]


async def test_the_publishers_older_brand_settings_are_adopted_unless_newer_ones_exist(
    organization, tokens, workspace, engine
):
    org = await organization(olga="owner")
    owner = workspace(await tokens("olga"), org)
    await owner.post("/v1/brands", json={"id": "newer", "name": "Newer"})
    long_ago = datetime.now(UTC) - timedelta(days=30)

    def legacy(brand_id: str) -> Envelope:
        settings = PublisherBrandConfigured(
            brand_id=brand_id,
            timezone="Europe/Paris",
            approval_required=True,
            pause_on_alert=True,
            configured_at=long_ago,
        )
        return Envelope.build(settings, tenant_id=org, subject=brand_id, source="/beacon/publisher")

    async with create_sessionmaker(engine)() as session, session.begin():
        await publisher_brand_configured(session, legacy("from-publisher"))
        await publisher_brand_configured(session, legacy("newer"))

    adopted = (await owner.get("/v1/brands/from-publisher")).json()
    kept = (await owner.get("/v1/brands/newer")).json()
    assert (adopted["timezone"], adopted["approval_required"], adopted["pause_on_alert"]) == (
        "Europe/Paris",
        True,
        True,
    )
    assert adopted["name"] == "from-publisher"
    assert (kept["timezone"], kept["approval_required"]) == ("UTC", False)
    async with engine.connect() as conn:
        live = await conn.scalar(
            select(registry.c.deleted_at.is_(None)).where(
                registry.c.tenant_id == org, registry.c.id == "from-publisher"
            )
        )
    assert live is True
