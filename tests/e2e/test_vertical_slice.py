"""One comment and one post flowing through all four services on the real servers."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

import analytics.config
import analytics.main
import analytics.worker
import ingest.config
import ingest.main
import ingest.worker
import moderation.config
import moderation.main
import moderation.worker
import publisher.config
import publisher.main
import publisher.worker
from beacon_shared.testing.plugin import eventually
from beacon_shared.worker import run_worker

pytestmark = [pytest.mark.integration, pytest.mark.kafka, pytest.mark.slow]

SERVICES = {
    "ingest": (ingest.config.Settings, ingest.main, ingest.worker),
    "moderation": (moderation.config.Settings, moderation.main, moderation.worker),
    "publisher": (publisher.config.Settings, publisher.main, publisher.worker),
    "analytics": (analytics.config.Settings, analytics.main, analytics.worker),
}


# Ingest's pollers would call the networks for accounts other tests left connected.
OFFLINE: dict[str, dict[str, object]] = {
    "ingest": {"poll_enabled": False, "metrics_poll_enabled": False}
}


@pytest.fixture
async def stack(
    settings_for, api_client, issue_api_key, unique
) -> AsyncIterator[dict[str, object]]:
    """The four apps (over ASGI) and the four workers (as tasks), for one fresh tenant."""
    tenant = unique("e2e")
    key = (await issue_api_key(tenant)).key
    stop = asyncio.Event()
    workers = []
    clients: dict[str, object] = {"tenant": tenant}
    async with contextlib.AsyncExitStack() as exits:
        for name, (settings_cls, main, worker) in SERVICES.items():
            settings = settings_for(settings_cls, **OFFLINE.get(name, {}))
            workers.append(
                asyncio.create_task(run_worker(settings, worker.spec(), stop, serve_http=False))
            )
            clients[name] = await exits.enter_async_context(
                api_client(main.create_app(settings), key=key)
            )
        try:
            yield clients
        finally:
            stop.set()
            await asyncio.gather(*workers)


async def _totals(analytics_api: httpx.AsyncClient) -> dict[str, int]:
    """Every figure of the analytics summary over the last and the next hour."""
    now = datetime.now(UTC)
    response = await analytics_api.get(
        "/v1/analytics/summary",
        params={
            "from": (now - timedelta(hours=1)).isoformat(),
            "to": (now + timedelta(hours=1)).isoformat(),
        },
    )
    assert response.status_code == 200, response.text
    figures: dict[str, dict[str, int]] = response.json()["figures"]
    return {metric: figure["current"] for metric, figure in figures.items()}


async def test_a_comment_and_a_post_flow_through_every_service(stack):
    ingest_api, moderation_api = stack["ingest"], stack["moderation"]
    publisher_api, analytics_api = stack["publisher"], stack["analytics"]
    question = {
        "kind": "comment",
        "external_id": "fb-c-1",
        "thread_external_id": "fb-post-9",
        "author": {"network_id": "u-42", "handle": "camille"},
        "text": "Hello, is the blue model available in size M?",
        "created_at": datetime.now(UTC).isoformat(),
    }
    spam = {
        **question,
        "external_id": "fb-c-2",
        "author": {"network_id": "u-666"},
        "text": "Most trustable smm panel on market ... cheaper price",
    }

    first = await ingest_api.post("/v1/interactions", json=question)
    again = await ingest_api.post("/v1/interactions", json=question)
    await ingest_api.post("/v1/interactions", json=spam)
    assert first.status_code == again.status_code == 202
    assert again.json() == {**first.json(), "duplicate": True}

    async def decisions() -> dict[str, str] | None:
        items = (await moderation_api.get("/v1/decisions")).json()["items"]
        return {d["external_id"]: d["action"] for d in items} if len(items) >= 2 else None

    assert await eventually(decisions, timeout=30) == {"fb-c-1": "allow", "fb-c-2": "hide"}

    account = await publisher_api.post(
        "/v1/publishing-accounts",
        json={"network": "sandbox", "external_account_id": "sandbox-brand"},
    )
    assert account.status_code == 201, account.text
    due = datetime.now(UTC) + timedelta(seconds=3)
    created = await publisher_api.post(
        "/v1/posts",
        json={
            "text": "Our winter collection is out!",
            "scheduled_at": due.isoformat(),
            "targets": [{"account_id": account.json()["id"], "network": "sandbox"}],
        },
    )
    assert created.status_code == 201, created.text
    post_id = created.json()["id"]

    async def published() -> dict[str, object] | None:
        post = (await publisher_api.get(f"/v1/posts/{post_id}")).json()
        return post if post["targets"][0]["status"] == "published" else None

    post = await eventually(published, timeout=30)
    target = post["targets"][0]
    assert target["external_id"]
    assert datetime.fromisoformat(target["published_at"]) >= due

    expected = {
        "comments": 2,
        "moderation.allow": 1,
        "moderation.hide": 1,
        "needing_response": 1,
        "sentiment.scored": 2,
        "posts.scheduled": 1,
        "posts.published": 1,
    }

    async def counted() -> dict[str, int] | None:
        totals = await _totals(analytics_api)
        seen = {metric: totals.get(metric, 0) for metric in expected}
        return seen if seen == expected else None

    assert await eventually(counted, timeout=30) == expected
