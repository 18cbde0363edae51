"""The service-level report: the inbox's timed responses, resolutions and breaches, consumed
once each, reported per brand, network and member with hit rates and percentiles."""

from __future__ import annotations

import contextlib
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from analytics.config import Settings
from analytics.main import create_app
from analytics.sla.handlers import breached, measured
from beacon_shared.contracts.common import Network
from beacon_shared.contracts.inbox import ResolutionRecorded, ResponseRecorded, SlaBreached
from beacon_shared.db import create_sessionmaker
from beacon_shared.events import Envelope

pytestmark = pytest.mark.integration

DAY = datetime(2026, 11, 17, 9, tzinfo=UTC)
PERIOD = {"from": "2026-11-16T00:00:00Z", "to": "2026-11-23T00:00:00Z"}
ALICE, BOB = uuid.uuid4(), uuid.uuid4()


def response(brand: str, network: Network, seconds: float, met: bool | None, **fields):
    values = {
        "conversation_id": uuid.uuid4(),
        "brand_id": brand,
        "network": network,
        "kind": "comment",
        "target": "first_response",
        "started_at": DAY,
        "stopped_at": DAY + timedelta(seconds=seconds),
        "business_seconds": seconds,
        "calendar_seconds": seconds,
        "target_seconds": None if met is None else 300,
        "met": met,
        "member_id": ALICE,
        "responded_by": f"user:{ALICE}",
        **fields,
    }
    return ResponseRecorded.model_validate(values)


def envelope(payload, tenant: str) -> Envelope:
    return Envelope.build(payload, tenant_id=tenant, subject=str(uuid.uuid4()), source="/inbox")


@pytest.fixture
async def tenant(engine, unique):
    """brand-a on Instagram: four first responses by Alice (60, 120, 300 and 600 s of business
    time against 300), a next response by Bob, a resolution, a breach; brand-b on Mastodon: one
    response without a target."""
    tenant = unique("tenant")
    timed = [
        response("brand-a", Network.instagram, s, s <= 300) for s in (60.0, 120.0, 300.0, 600.0)
    ]
    timed.append(
        response("brand-a", Network.instagram, 30.0, True, target="next_response", member_id=BOB)
    )
    timed.append(response("brand-b", Network.mastodon, 1000.0, None, member_id=None))
    resolution = ResolutionRecorded.model_validate(
        {
            **response("brand-a", Network.instagram, 7200.0, True).model_dump(),
            "target": "resolution",
            "resolved_by": f"user:{BOB}",
            "member_id": BOB,
        }
    )
    breach = SlaBreached(
        breach_id=uuid.uuid4(),
        conversation_id=uuid.uuid4(),
        brand_id="brand-a",
        network=Network.instagram,
        kind="comment",
        target="first_response",
        started_at=DAY,
        due_at=DAY + timedelta(minutes=5),
        found_at=DAY + timedelta(minutes=5, seconds=3),
        assignee=ALICE,
    )
    measures = [envelope(e, tenant) for e in (*timed, resolution)]
    breaches = [envelope(breach, tenant)]
    for _ in range(2):  # a replay inserts nothing
        async with create_sessionmaker(engine)() as session, session.begin():
            await measured(session, measures)
            await breached(session, breaches)
    return tenant


@pytest.fixture
def client_for(settings_for, api_client, issue_api_key, register_brands):
    @contextlib.asynccontextmanager
    async def make(tenant: str, brand_ids: tuple[str, ...] | None = None):
        await register_brands(tenant, "brand-a", "brand-b")
        key = await issue_api_key(tenant, scopes=("analytics:read",), brand_ids=brand_ids)
        async with api_client(create_app(settings_for(Settings)), key=key.key) as http:
            yield http

    return make


def by_key(body):
    return {(item["key"], item["target"]): item for item in body["items"]}


async def test_figures_per_brand_with_hit_rate_percentiles_and_breaches(tenant, client_for):
    async with client_for(tenant) as http:
        found = await http.get("/v1/analytics/sla", params=PERIOD)
    assert found.status_code == 200, found.text
    body = found.json()
    assert (body["by"], body["from"]) == ("brand", "2026-11-16T00:00:00Z")
    items = by_key(body)
    assert items[("brand-a", "first_response")] == {
        "key": "brand-a",
        "target": "first_response",
        "measured": 4,
        "met": 3,
        "missed": 1,
        "hit_rate": 0.75,
        "p50_seconds": 210.0,
        "p90_seconds": 510.0,
        "breaches": 1,
    }
    assert items[("brand-a", "resolution")]["measured"] == 1
    assert items[("brand-b", "first_response")]["hit_rate"] is None
    assert items[("brand-b", "first_response")]["p50_seconds"] == 1000.0


async def test_figures_per_member_and_per_network(tenant, client_for):
    async with client_for(tenant) as http:
        members = by_key(
            (await http.get("/v1/analytics/sla", params={**PERIOD, "by": "member"})).json()
        )
        networks = by_key(
            (
                await http.get(
                    "/v1/analytics/sla",
                    params={**PERIOD, "by": "network", "network": "instagram"},
                )
            ).json()
        )
    assert members[(str(ALICE), "first_response")]["measured"] == 4
    assert members[(str(ALICE), "first_response")]["breaches"] == 1
    assert members[(str(BOB), "next_response")]["p90_seconds"] == 30.0
    assert members[(str(BOB), "resolution")]["measured"] == 1
    assert members[(None, "first_response")]["measured"] == 1
    assert set(networks) == {
        ("instagram", "first_response"),
        ("instagram", "next_response"),
        ("instagram", "resolution"),
    }


async def test_a_key_limited_to_a_brand_reads_only_its_figures(tenant, client_for):
    async with client_for(tenant, brand_ids=("brand-b",)) as http:
        mine = by_key((await http.get("/v1/analytics/sla", params=PERIOD)).json())
        other = await http.get("/v1/analytics/sla", params={**PERIOD, "brand_id": "brand-a"})
    assert set(mine) == {("brand-b", "first_response")}
    assert (other.status_code, other.json()["code"]) == (403, "brand_not_allowed")


async def test_a_period_outside_the_figures_is_empty_and_a_reversed_one_refused(tenant, client_for):
    async with client_for(tenant) as http:
        before = await http.get(
            "/v1/analytics/sla",
            params={"from": "2026-10-01T00:00:00Z", "to": "2026-10-08T00:00:00Z"},
        )
        reversed_ = await http.get(
            "/v1/analytics/sla", params={"from": PERIOD["to"], "to": PERIOD["from"]}
        )
    assert before.json()["items"] == []
    assert (reversed_.status_code, reversed_.json()["code"]) == (422, "invalid_period")
