"""The rule-set API: drafts, versions, activation (audited), tenant isolation and dry-runs."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import insert, select

from beacon_shared.app import create_service_app
from beacon_shared.auth.members import set_brand_roles
from beacon_shared.db import create_sessionmaker
from moderation.audit.models import audit_entry
from moderation.classify import Classification
from moderation.classify.signals import Signals
from moderation.comments.models import comment
from moderation.config import Settings
from moderation.replies.models import saved_reply
from moderation.rules import classification_to_json
from moderation.rules.default import DEFAULT_RULES
from moderation.rules.router import router as rules_router

pytestmark = pytest.mark.integration

T0 = datetime(2026, 11, 24, 12, tzinfo=UTC)
BASE = "/v1/brands/brand-1/rule-sets"
DEFAULTS = [r.model_dump(mode="json") for r in DEFAULT_RULES]
HIDE_ALL = {"id": "hide-all", "name": "Hide everything", "then": {"action": "hide"}}
VIP = {"id": "vip", "name": "VIPs", "when": {"author_in": ["@vip"]}, "then": {"action": "allow"}}


def complaints(assign_to: object) -> dict:
    """A rule sending complaints to `assign_to`, a member's user id."""
    return {
        "id": "complaints",
        "name": "Complaints go to support",
        "when": {"intent_in": ["complaint"]},
        "then": {"action": "escalate", "assign_to": str(assign_to), "labels": ["complaint"]},
    }


def rules_app(settings):
    """The service app with the rules router (main.py mounts it too once wired)."""
    return create_service_app(settings, title="test", description="test", routers=[rules_router])


def classified(**overrides: object) -> Classification:
    values: dict[str, object] = {
        "language": "en",
        "toxicity": 0.05,
        "spam": 0.05,
        "spam_reasons": (),
        "sentiment": "neutral",
        "sentiment_score": 0.0,
        "intents": (),
        "signals": Signals(links=0, shorteners=0, emails=0, phones=0),
    }
    values.update(overrides)
    return Classification(**values)


async def store_comment(
    engine,
    tenant: str,
    text: str,
    *,
    minutes: int,
    classification: Classification | None,
    brand_id: str = "brand-1",
    handle: str = "alice",
) -> str:
    """A stored comment as the pipeline keeps it; None stores no classification (`{}`)."""
    row = {
        "tenant_id": tenant,
        "interaction_id": uuid.uuid4(),
        "brand_id": brand_id,
        "network": "instagram",
        "kind": "comment",
        "external_id": f"c-{uuid.uuid4().hex[:8]}",
        "author_id": f"id-{handle}",
        "author_handle": handle,
        "text": text,
        "language": "en",
        "classification": classification_to_json(classification) if classification else {},
        "created_at": T0 + timedelta(minutes=minutes),
        "received_at": T0 + timedelta(minutes=minutes, seconds=1),
    }
    async with engine.begin() as conn:
        await conn.execute(insert(comment).values(row))
    return str(row["interaction_id"])


async def store_reply(engine, tenant: str, *, brand_id: str | None = "brand-1") -> str:
    reply_id = uuid.uuid4()
    async with engine.begin() as conn:
        await conn.execute(
            insert(saved_reply).values(
                id=reply_id,
                tenant_id=tenant,
                brand_id=brand_id,
                name=f"reply-{reply_id.hex[:6]}",
                body="Thanks {author_name}!",
                created_at=T0,
                updated_at=T0,
            )
        )
    return str(reply_id)


@pytest.fixture
async def tenant(unique, register_brands):
    tenant = unique("tenant")
    await register_brands(tenant, "brand-1", "brand-2", "quiet")
    return tenant


@pytest.fixture
async def support(tenant, member):
    """A community manager of every brand, to whom complaints go."""
    return await member(tenant, "agent")


@pytest.fixture
async def key(tenant, issue_api_key):
    return await issue_api_key(tenant, scopes=("moderation:read", "moderation:write"))


@pytest.fixture
async def client(key, settings_for, api_client):
    async with api_client(rules_app(settings_for(Settings)), key=key.key) as http:
        yield http


@pytest.fixture
async def other_client(unique, settings_for, api_client, issue_api_key, register_brands):
    """A client of another tenant, which has a brand-1 of its own."""
    tenant = unique("other")
    await register_brands(tenant, "brand-1")
    other = await issue_api_key(tenant, scopes=("moderation:read", "moderation:write"))
    async with api_client(rules_app(settings_for(Settings)), key=other.key) as http:
        yield http


async def create(client, **body):
    response = await client.post(BASE, json=body)
    assert response.status_code == 201, response.text
    return response.json()


class TestDrafts:
    async def test_drafts_are_numbered_per_brand(self, client, key):
        first = await create(client, rules=[HIDE_ALL], note="try hiding")
        second = await create(client, rules=[])
        elsewhere = (await client.post("/v1/brands/brand-2/rule-sets", json={"rules": []})).json()

        assert (first["version"], second["version"], elsewhere["version"]) == (1, 2, 1)
        assert first["status"] == "draft"
        assert first["note"] == "try hiding"
        assert first["rules"] == [{**HIDE_ALL, "enabled": True, "when": {}}]
        assert first["created_by"] == f"key:{key.id}"
        assert first["activated_at"] is None

    async def test_a_draft_copies_the_default_rules(self, client):
        draft = await create(client, copy_from=0)
        assert draft["rules"] == DEFAULTS

    async def test_a_draft_copies_a_stored_version(self, client, support):
        await create(client, rules=[VIP, complaints(support.user_id)])
        copy = await create(client, copy_from=1, note="copy")
        assert [r["id"] for r in copy["rules"]] == ["vip", "complaints"]
        assert copy["version"] == 2

    async def test_copying_a_missing_version_is_a_404(self, client):
        response = await client.post(BASE, json={"copy_from": 9})
        assert response.status_code == 404
        assert response.json()["code"] == "rule_set_not_found"

    async def test_comments_are_assigned_only_to_members_who_may_moderate_the_brand(
        self, client, member, tenant, unique
    ):
        elsewhere = await member(tenant, "agent", {"brand-2": "agent"})
        reader = await member(tenant, "analyst")
        outsider = await member(unique("other"), "agent")
        for assign_to in ("support", elsewhere.user_id, reader.user_id, outsider.user_id):
            response = await client.post(BASE, json={"rules": [VIP, complaints(assign_to)]})
            assert response.status_code == 422, assign_to
            assert response.json()["code"] == "assignee_not_allowed"
            assert response.json()["errors"][0]["pointer"] == "/rules/1/then/assign_to"
        assert (await client.get(BASE)).json()["items"] == []

    async def test_an_assignee_who_lost_the_brand_stops_the_activation(
        self, client, tenant, member, engine
    ):
        sam = await member(tenant, "agent", {"brand-1": "agent"})
        await create(client, rules=[complaints(sam.user_id)])
        async with create_sessionmaker(engine)() as session, session.begin():
            await set_brand_roles(
                session, tenant_id=tenant, user_id=sam.user_id, roles={"brand-2": "agent"}
            )
        response = await client.post(f"{BASE}/1/activate")
        assert response.status_code == 422
        assert response.json()["code"] == "assignee_not_allowed"
        assert (await client.get(f"{BASE}/1")).json()["status"] == "draft"

    async def test_a_draft_is_changed(self, client):
        await create(client, rules=[HIDE_ALL], note="before")
        response = await client.patch(f"{BASE}/1", json={"rules": [VIP]})
        assert response.status_code == 200
        body = response.json()
        assert [r["id"] for r in body["rules"]] == ["vip"]
        assert body["note"] == "before"
        cleared = (await client.patch(f"{BASE}/1", json={"note": None})).json()
        assert cleared["note"] is None
        assert [r["id"] for r in cleared["rules"]] == ["vip"]

    async def test_a_rule_may_reply_with_a_saved_reply_of_the_brand_or_tenant(
        self, client, engine, tenant
    ):
        brand_reply = await store_reply(engine, tenant)
        tenant_reply = await store_reply(engine, tenant, brand_id=None)
        rules = [
            {"id": "a", "name": "a", "then": {"action": "reply", "reply_with": brand_reply}},
            {"id": "b", "name": "b", "then": {"action": "hide", "reply_with": tenant_reply}},
        ]
        draft = await create(client, rules=rules)
        assert draft["rules"][0]["then"]["reply_with"] == brand_reply

    async def test_an_unknown_or_foreign_saved_reply_is_a_422_at_its_rule(
        self, client, engine, tenant, unique
    ):
        other_brand = await store_reply(engine, tenant, brand_id="brand-2")
        other_tenant = await store_reply(engine, unique("other"))
        rules = [
            HIDE_ALL,
            {"id": "a", "name": "a", "then": {"action": "reply", "reply_with": str(uuid.uuid4())}},
            {"id": "b", "name": "b", "then": {"action": "reply", "reply_with": other_brand}},
            {"id": "c", "name": "c", "then": {"action": "hide", "reply_with": other_tenant}},
        ]
        response = await client.post(BASE, json={"rules": rules})
        assert response.status_code == 422
        problem = response.json()
        assert problem["code"] == "unknown_saved_reply"
        assert [e["pointer"] for e in problem["errors"]] == [
            "/rules/1/then/reply_with",
            "/rules/2/then/reply_with",
            "/rules/3/then/reply_with",
        ]


class TestValidation:
    @pytest.mark.parametrize(
        ("rules", "pointer"),
        [
            ([{**HIDE_ALL, "when": {"regex": "(a)\\1"}}], "/rules/0/when/regex"),
            ([HIDE_ALL, {**VIP, "when": {"spamm": {"min": 1}}}], "/rules/1/when/spamm"),
            ([{**HIDE_ALL, "then": {"action": "reply"}}], "/rules/0/then/reply_with"),
            (
                [{**HIDE_ALL, "when": {"any_of": [{"spam": {"min": 2}}]}}],
                "/rules/0/when/any_of/0/spam/min",
            ),
            ([HIDE_ALL, HIDE_ALL], "/rules"),
            ([{**HIDE_ALL, "id": "Hide All"}], "/rules/0/id"),
        ],
    )
    async def test_a_bad_rule_set_is_a_422_problem_pointing_at_the_field(
        self, client, rules, pointer
    ):
        response = await client.post(BASE, json={"rules": rules})
        assert response.status_code == 422
        assert response.headers["content-type"] == "application/problem+json"
        problem = response.json()
        assert problem["code"] == "validation_failed"
        assert [e["pointer"] for e in problem["errors"]] == [pointer]
        assert problem["errors"][0]["message"]

    @pytest.mark.parametrize("body", [{}, {"rules": [], "copy_from": 0}, {"rules": [], "extra": 1}])
    async def test_a_draft_needs_rules_or_copy_from_and_nothing_else(self, client, body):
        response = await client.post(BASE, json=body)
        assert response.status_code == 422

    async def test_a_bad_update_is_a_422(self, client):
        await create(client, rules=[])
        response = await client.patch(f"{BASE}/1", json={"rules": [{"id": "x"}]})
        assert response.status_code == 422
        pointers = {e["pointer"] for e in response.json()["errors"]}
        assert pointers == {"/rules/0/name", "/rules/0/then"}


class TestVersions:
    async def test_the_list_is_newest_first_without_rules_and_pages(self, client):
        for _ in range(3):
            await create(client, rules=[HIDE_ALL, VIP])
        first = (await client.get(BASE, params={"limit": 2})).json()
        assert [i["version"] for i in first["items"]] == [3, 2]
        assert first["items"][0]["rule_count"] == 2
        assert "rules" not in first["items"][0]
        rest = (await client.get(BASE, params={"limit": 2, "cursor": first["next_cursor"]})).json()
        assert [i["version"] for i in rest["items"]] == [1]
        assert rest["next_cursor"] is None

    @pytest.mark.parametrize(
        "cursor", ["abc", "²", "9999999999"], ids=["text", "superscript", "int8"]
    )
    async def test_a_bad_cursor_is_a_400(self, client, cursor):
        response = await client.get(BASE, params={"cursor": cursor})
        assert response.status_code == 400
        assert response.json()["code"] == "invalid_cursor"

    async def test_one_version_is_read(self, client):
        await create(client, rules=[VIP])
        body = (await client.get(f"{BASE}/1")).json()
        assert (body["version"], body["brand_id"], body["rules"][0]["id"]) == (1, "brand-1", "vip")

    async def test_version_0_is_the_default_rules(self, client):
        body = (await client.get(f"{BASE}/0")).json()
        assert body["status"] == "builtin"
        assert body["rules"] == DEFAULTS

    @pytest.mark.parametrize(
        ("method", "path"),
        [
            ("GET", f"{BASE}/4"),
            ("PATCH", f"{BASE}/4"),
            ("POST", f"{BASE}/4/activate"),
            ("POST", f"{BASE}/4/dry-run"),
            ("GET", "/v1/brands/brand-2/rule-sets/1"),
        ],
    )
    async def test_an_unknown_version_is_a_404(self, client, method, path):
        await create(client, rules=[])
        response = await client.request(method, path, json={"note": "x"})
        assert response.status_code == 404
        assert response.json()["code"] == "rule_set_not_found"


class TestActivation:
    async def test_activation_makes_a_version_active_and_retires_the_previous(self, client, key):
        await create(client, rules=[HIDE_ALL])
        await create(client, rules=[VIP])

        first = await client.post(f"{BASE}/1/activate")
        assert first.status_code == 200
        assert first.json()["status"] == "active"
        assert first.json()["activated_by"] == f"key:{key.id}"
        assert first.json()["activated_at"] is not None

        second = (await client.post(f"{BASE}/2/activate")).json()
        assert second["status"] == "active"
        statuses = {i["version"]: i["status"] for i in (await client.get(BASE)).json()["items"]}
        assert statuses == {1: "retired", 2: "active"}

    async def test_a_retired_version_can_be_activated_again(self, client):
        await create(client, rules=[HIDE_ALL])
        await create(client, rules=[VIP])
        await client.post(f"{BASE}/1/activate")
        await client.post(f"{BASE}/2/activate")
        again = await client.post(f"{BASE}/1/activate")
        assert again.json()["status"] == "active"
        assert (await client.get(f"{BASE}/2")).json()["status"] == "retired"

    async def test_each_activation_is_in_the_audit_log(self, client, key, engine, tenant):
        await create(client, rules=[HIDE_ALL], note="strict")
        await create(client, rules=[VIP])
        await client.post(f"{BASE}/1/activate")
        await client.post(f"{BASE}/2/activate")

        async with engine.connect() as conn:
            entries = (
                await conn.execute(
                    select(audit_entry)
                    .where(audit_entry.c.tenant_id == tenant)
                    .order_by(audit_entry.c.at)
                )
            ).all()
        assert [(e.event, e.brand_id, e.rule_set_version) for e in entries] == [
            ("rules.activated", "brand-1", "1"),
            ("rules.activated", "brand-1", "2"),
        ]
        assert entries[0].actor == f"key:{key.id}"
        assert entries[0].detail == {"previous_version": 0, "rules": 1, "note": "strict"}
        assert entries[1].detail["previous_version"] == 1

    async def test_activating_the_active_version_is_a_409(self, client):
        await create(client, rules=[])
        await client.post(f"{BASE}/1/activate")
        response = await client.post(f"{BASE}/1/activate")
        assert response.status_code == 409
        assert response.json()["code"] == "rule_set_already_active"

    @pytest.mark.parametrize("activations", [["1"], ["1", "2"]], ids=["active", "retired"])
    async def test_only_a_draft_can_be_changed(self, client, activations):
        await create(client, rules=[])
        await create(client, rules=[])
        for version in activations:
            await client.post(f"{BASE}/{version}/activate")
        response = await client.patch(f"{BASE}/1", json={"rules": [HIDE_ALL]})
        assert response.status_code == 409
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["code"] == "rule_set_not_draft"

    @pytest.mark.parametrize(
        ("method", "path"), [("PATCH", f"{BASE}/0"), ("POST", f"{BASE}/0/activate")]
    )
    async def test_the_default_rules_cannot_be_changed_or_activated(self, client, method, path):
        response = await client.request(method, path, json={"note": "x"})
        assert response.status_code == 409
        assert response.json()["code"] == "rule_set_builtin"


class TestAccess:
    async def test_another_tenant_sees_none_of_the_brand_s_versions(self, client, other_client):
        await create(client, rules=[HIDE_ALL])
        assert (await other_client.get(BASE)).json()["items"] == []
        for method, path in [
            ("GET", f"{BASE}/1"),
            ("PATCH", f"{BASE}/1"),
            ("POST", f"{BASE}/1/activate"),
            ("POST", f"{BASE}/1/dry-run"),
        ]:
            response = await other_client.request(method, path, json={"note": "x"})
            assert response.status_code == 404, (method, path)
        # Its own brand-1 is numbered on its own.
        assert (await create(other_client, rules=[]))["version"] == 1
        assert (await client.get(f"{BASE}/1")).json()["rules"][0]["id"] == "hide-all"

    async def test_changes_need_the_write_scope(
        self, tenant, settings_for, api_client, issue_api_key
    ):
        reader = await issue_api_key(tenant, scopes=("moderation:read",))
        async with api_client(rules_app(settings_for(Settings)), key=reader.key) as http:
            assert (await http.get(BASE)).status_code == 200
            assert (await http.post(BASE, json={"rules": []})).status_code == 403
            assert (await http.post(f"{BASE}/1/activate")).status_code == 403

    async def test_a_request_without_a_key_is_refused(self, settings_for, api_client):
        async with api_client(rules_app(settings_for(Settings))) as anonymous:
            response = await anonymous.get(BASE)
        assert response.status_code == 401


@pytest.fixture
async def stored(engine, tenant, unique):
    """The brand's stored comments, oldest first, and comments the dry-run must not see."""
    ids = {
        "spam": await store_comment(
            engine,
            tenant,
            "Best smm panel, cheap price",
            minutes=0,
            classification=classified(spam=0.9, spam_reasons=("smm_panel",)),
        ),
        "refund": await store_comment(
            engine,
            tenant,
            "It arrived broken, I want a refund",
            minutes=1,
            classification=classified(intents=("complaint",), sentiment_score=-0.6),
        ),
        "love": await store_comment(
            engine, tenant, "Love it!", minutes=2, classification=classified(intents=("praise",))
        ),
        "insult": await store_comment(
            engine,
            tenant,
            "You are an idiot",
            minutes=3,
            classification=classified(toxicity=0.8),
            handle="VIP",
        ),
        # Stored before classification was kept: the dry-run classifies it.
        "question": await store_comment(
            engine, tenant, "Where can I buy this in Berlin?", minutes=4, classification=None
        ),
    }
    await store_comment(
        engine, tenant, "smm panel", minutes=5, classification=classified(spam=0.9), brand_id="b2"
    )
    await store_comment(
        engine, unique("other"), "smm panel", minutes=6, classification=classified(spam=0.9)
    )
    return ids


def counts(report, which):
    return {action: c[which] for action, c in report["counts"].items() if c[which]}


class TestDryRun:
    async def test_a_draft_is_compared_with_the_default_rules_on_stored_comments(
        self, client, stored, support
    ):
        await create(client, rules=[VIP, complaints(support.user_id), *DEFAULTS])

        response = await client.post(f"{BASE}/1/dry-run")

        assert response.status_code == 200
        report = response.json()
        assert (report["version"], report["current_version"]) == (1, 0)
        assert (report["comments"], report["reclassified"]) == (5, 1)
        assert counts(report, "current") == {"hide": 1, "flag": 1, "allow": 3}
        assert counts(report, "proposed") == {"hide": 1, "escalate": 1, "allow": 3}
        assert report["changed"] == 2
        insult, refund = report["changes"]  # newest first
        assert insult["interaction_id"] == stored["insult"]
        assert insult["excerpt"] == "You are an idiot"
        assert insult["author_handle"] == "VIP"
        assert insult["current"] == {
            "action": "flag",
            "rule_id": "default.toxic",
            "reply_with": None,
            "assign_to": None,
            "labels": [],
        }
        assert (insult["proposed"]["action"], insult["proposed"]["rule_id"]) == ("allow", "vip")
        assert refund["interaction_id"] == stored["refund"]
        assert (refund["current"]["action"], refund["current"]["rule_id"]) == (
            "allow",
            "default.allow",
        )
        assert refund["proposed"] == {
            "action": "escalate",
            "rule_id": "complaints",
            "reply_with": None,
            "assign_to": str(support.user_id),
            "labels": ["complaint"],
        }

    async def test_the_current_outcome_is_the_active_version_s(self, client, stored):
        await create(client, rules=[HIDE_ALL])
        await client.post(f"{BASE}/1/activate")

        report = (await client.post(f"{BASE}/0/dry-run")).json()

        assert (report["version"], report["current_version"]) == (0, 1)
        assert counts(report, "current") == {"hide": 5}
        assert counts(report, "proposed") == {"hide": 1, "flag": 1, "allow": 3}
        assert [c["interaction_id"] for c in report["changes"]] == [
            stored[name] for name in ("question", "insult", "love", "refund")
        ]

    async def test_unsaved_rules_replay_the_latest_n_comments(self, client, stored):
        response = await client.post(
            f"{BASE}/dry-run", params={"limit": 2}, json={"rules": [HIDE_ALL]}
        )
        assert response.status_code == 200
        report = response.json()
        assert (report["version"], report["comments"]) == (None, 2)
        assert [c["interaction_id"] for c in report["changes"]] == [
            stored["question"],
            stored["insult"],
        ]
        assert [c["proposed"]["rule_id"] for c in report["changes"]] == ["hide-all"] * 2

    async def test_a_brand_without_comments_has_an_empty_report(self, client):
        report = (
            await client.post("/v1/brands/quiet/rule-sets/dry-run", json={"rules": [HIDE_ALL]})
        ).json()
        assert (report["comments"], report["changed"], report["changes"]) == (0, 0, [])
        assert all(c == {"current": 0, "proposed": 0} for c in report["counts"].values())

    @pytest.mark.parametrize("limit", [0, 5001, "many"])
    async def test_the_limit_is_1_to_5000(self, client, limit):
        response = await client.post(f"{BASE}/0/dry-run", params={"limit": limit})
        assert response.status_code == 422
        assert response.json()["errors"][0]["pointer"] == "/query/limit"

    async def test_unsaved_rules_are_validated(self, client):
        response = await client.post(
            f"{BASE}/dry-run", json={"rules": [{**HIDE_ALL, "when": {"regex": "(?=x)"}}]}
        )
        assert response.status_code == 422
        assert response.json()["errors"][0]["pointer"] == "/rules/0/when/regex"
