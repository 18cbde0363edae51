"""One tenant never reaches another's data, on any route: by id, through filters, or by changing
it. Tenant A fills each service through its API with objects that carry a marker; tenant B, with a
key of every scope, then calls every keyed route with A's ids in the path and A's brand in the
filters. Neither the marker nor an id of A's that B did not name ever reaches B, no call naming
A's objects succeeds, and A's objects read the same afterwards. (B may use A's brand id for a
brand of its own: brand paths and filters are namespaces inside each tenant.)"""

from __future__ import annotations

import re
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from beacon_shared.contracts.common import Author, Network
from beacon_shared.contracts.ingest import CommentReceived, InteractionKind
from beacon_shared.events import Envelope
from inbox.conversations.handlers import comment_received
from tests.security.test_route_access import keyed_operations
from tests.service_apps import SERVICES

pytestmark = pytest.mark.integration

_PARAM = re.compile(r"\{([^}]+)\}")
# Path parameters that name a namespace inside the caller's own tenant, not an object: B may use
# the same brand id for its own brand, and must then see only its own (empty) data.
NAMESPACES = frozenset({"brand_id", "account", "thread_external_id", "version"})

Seed = Callable[[httpx.AsyncClient, str, str], Awaitable[dict[str, list[str]]]]


def soon(**delta: float) -> str:
    return (datetime.now(UTC) + timedelta(**delta)).isoformat()


async def created(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code in (200, 201, 202), response.text
    body: dict[str, Any] = response.json()
    return body


async def seed_ingest(http: httpx.AsyncClient, marker: str, brand: str) -> dict[str, list[str]]:
    interaction = await created(
        await http.post(
            "/v1/interactions",
            json={
                "kind": "comment",
                "brand_id": brand,
                "external_id": f"c-{marker}",
                "thread_external_id": f"t-{marker}",
                "author": {"network_id": f"u-{marker}", "handle": marker},
                "text": f"secret text {marker}",
                "created_at": soon(minutes=-1),
            },
        )
    )
    account = await created(
        await http.post(
            "/v1/accounts",
            json={
                "network": "sandbox",
                "external_account_id": f"page-{marker}",
                "brand_id": brand,
                "handle": marker,
                "credentials": {"access_token": f"token-{marker}"},
            },
        )
    )
    competitor = await created(
        await http.post(
            "/v1/competitors",
            json={
                "brand_id": brand,
                "network": "bluesky",
                "external_account_id": f"did:plc:{uuid.uuid4().hex[:24]}",
                "handle": f"{marker}.bsky.social",
                "label": marker,
            },
        )
    )
    return {
        "interaction_id": [interaction["id"]],
        "account_id": [account["id"]],
        "competitor_id": [competitor["id"]],
    }


async def seed_moderation(http: httpx.AsyncClient, marker: str, brand: str) -> dict[str, list[str]]:
    reply = await created(
        await http.post(
            "/v1/saved-replies",
            json={"name": marker, "body": f"Thanks, {marker}", "brand_id": brand},
        )
    )
    return {"reply_id": [reply["id"]]}


async def seed_publisher(http: httpx.AsyncClient, marker: str, brand: str) -> dict[str, list[str]]:
    account = await created(
        await http.post(
            "/v1/publishing-accounts",
            json={"network": "sandbox", "external_account_id": marker, "handle": marker},
        )
    )
    post = await created(
        await http.post(
            "/v1/posts",
            json={
                "text": f"Draft {marker}",
                "brand_id": brand,
                "scheduled_at": soon(days=2),
                "targets": [{"account_id": account["id"]}],
            },
        )
    )
    campaign = await created(
        await http.post(
            "/v1/campaigns",
            json={
                "name": marker,
                "kind": "event",
                "brand_id": brand,
                "starts_at": soon(days=1),
                "ends_at": soon(days=3),
            },
        )
    )
    endpoint = await created(
        await http.post(
            "/v1/webhook-endpoints",
            json={"url": f"https://hooks.example.com/{marker}", "description": marker},
        )
    )
    return {
        "account_id": [account["id"]],
        "post_id": [post["id"]],
        "campaign_id": [campaign["id"]],
        "endpoint_id": [endpoint["endpoint"]["id"] if "endpoint" in endpoint else endpoint["id"]],
    }


async def seed_analytics(http: httpx.AsyncClient, marker: str, brand: str) -> dict[str, list[str]]:
    report = await created(
        await http.post(
            "/v1/reports",
            json={
                "brand_id": brand,
                "period_start": soon(days=-7),
                "period_end": soon(days=-1),
            },
        )
    )
    return {"report_id": [report["id"]]}


async def seed_workspace(http: httpx.AsyncClient, marker: str, brand: str) -> dict[str, list[str]]:
    invitation = await created(
        await http.post("/v1/invitations", json={"email": f"{marker}@example.com", "role": "agent"})
    )
    key = await created(
        await http.post("/v1/api-keys", json={"name": marker, "scopes": ["posts:read"]})
    )
    # Members are people signed in with the issuer: tests/security/test_sign_in.py and the
    # workspace's own tests cover them across organizations.
    return {"invitation_id": [invitation["id"]], "key_id": [key["id"]]}


async def seed_inbox(http: httpx.AsyncClient, marker: str, brand: str) -> dict[str, list[str]]:
    # Conversations arrive as ingest's events, not over REST: A's is filed by the worker's
    # handler, in the tenant of the key A calls with.
    app = http._transport.app
    principal = await app.state.api_keys.verify(http.headers["Authorization"].split()[-1])
    comment = CommentReceived(
        interaction_id=uuid.uuid4(),
        brand_id=brand,
        network=Network.instagram,
        kind=InteractionKind.comment,
        external_id=f"c-{marker}",
        thread_external_id=f"t-{marker}",
        author=Author(network_id=f"u-{marker}", handle=marker),
        text=f"secret text {marker}",
        created_at=datetime.now(UTC),
        received_at=datetime.now(UTC),
    )
    envelope = Envelope.build(
        comment, tenant_id=principal.tenant_id, subject=marker, source="/beacon/ingest"
    )
    async with app.state.sessionmaker() as session, session.begin():
        await comment_received(session, envelope)
    page = await created(await http.get("/v1/conversations"))
    return {"conversation_id": [item["id"] for item in page["items"]]}


SEEDS: dict[str, Seed] = {
    "ingest": seed_ingest,
    "moderation": seed_moderation,
    "publisher": seed_publisher,
    "analytics": seed_analytics,
    "workspace": seed_workspace,
    "inbox": seed_inbox,
}


def filled(path: str, ids: dict[str, list[str]], brand: str) -> tuple[str, bool]:
    """The path with A's ids (or A's brand) in it, and whether it names one of A's objects."""
    names_object = False

    def fill(match: re.Match[str]) -> str:
        nonlocal names_object
        name = match.group(1)
        if name in ids:
            names_object = True
            return ids[name][0]
        return brand if name in NAMESPACES else str(uuid.uuid4())

    return _PARAM.sub(fill, path), names_object


def own_paths(
    operations: list[tuple[str, str]], ids: dict[str, list[str]], brand: str
) -> list[str]:
    """Every GET path filled with A's ids and brand. The organization's audit log is left out: it
    lists the other caller's calls too, so it is meant to change."""
    return sorted(
        {
            filled(path, ids, brand)[0]
            for method, path in operations
            if method == "GET" and path != "/v1/audit-log"
        }
    )


async def sweep(
    b: httpx.AsyncClient,
    operations: list[tuple[str, str]],
    ids: dict[str, list[str]],
    brand: str,
    secrets: list[str],
    *,
    must_fail: Callable[[str, bool], bool],
) -> tuple[list[str], list[str]]:
    """B calls every keyed route with A's ids and brand in the path and the filters: the calls
    whose answer carried one of A's `secrets`, and those that succeeded where `must_fail(path,
    names_object)` says they may not."""
    leaks: list[str] = []
    reached: list[str] = []
    # What B has put in its own URLs is B's to read back (its audit log lists its calls).
    sent = ""
    for method, path in operations:
        url, names_object = filled(path, ids, brand)
        sent += url
        for params in ({}, {"brand_id": brand}) if method == "GET" else ({},):
            response = await b.request(method, url, params=params, json={})
            where = f"{method} {url} {params}: {response.status_code}"
            if any(s in response.text and s not in sent for s in secrets):
                leaks.append(where)
            if must_fail(path, names_object) and response.is_success:
                reached.append(where)
    return leaks, reached


async def readings(http: httpx.AsyncClient, paths: list[str]) -> dict[str, str]:
    """What A reads at each path; documents rendered anew each time (PDFs) are left out."""
    answers = {path: await http.get(path) for path in paths}
    return {path: r.text for path, r in answers.items() if "json" in r.headers["content-type"]}


@pytest.mark.parametrize("service", list(SERVICES))
async def test_another_tenant_reaches_nothing_of_a_tenant_on_any_route(
    service, build_app, api_client, issue_api_key, register_brands, unique
):
    app = build_app(service)
    marker, brand = unique("marker"), unique("brand")
    tenant_a, tenant_b = unique("tenant-a"), unique("tenant-b")
    # Both have a brand of that id: B names it as its own, and sees only its own (empty) data.
    await register_brands(tenant_a, brand)
    await register_brands(tenant_b, brand)
    key_a = await issue_api_key(tenant_a)
    key_b = await issue_api_key(tenant_b)
    operations = keyed_operations(app)
    async with api_client(app, key=key_a.key) as a, api_client(app, key=key_b.key) as b:
        ids = await SEEDS[service](a, marker, brand)
        # What only A's data holds: the marker, and its objects' ids where B did not name them.
        secrets = [marker, *(value for values in ids.values() for value in values)]
        own = own_paths(operations, ids, brand)
        before = await readings(a, own)
        assert any(secrets[1] in text for text in before.values()), "A cannot read its objects"

        leaks, reached = await sweep(
            b, operations, ids, brand, secrets, must_fail=lambda path, names_object: names_object
        )
        after = await readings(a, own)

    assert leaks == []
    assert reached == []
    assert after == before
