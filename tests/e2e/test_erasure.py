"""One author's erasure through the real broker: their comments filed and moderated, the request
made in the workspace, every service erasing what it holds, the receipt completed, and another
author's data untouched."""

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
import inbox.config
import inbox.main
import inbox.worker
import ingest.config
import ingest.main
import ingest.worker
import moderation.config
import moderation.main
import moderation.worker
import workspace.config
import workspace.main
import workspace.worker
from beacon_shared.testing.plugin import eventually
from beacon_shared.worker import run_worker

pytestmark = [pytest.mark.integration, pytest.mark.kafka, pytest.mark.slow]

SERVICES = {
    "ingest": (ingest.config.Settings, ingest.main, ingest.worker.spec),
    "moderation": (moderation.config.Settings, moderation.main, moderation.worker.spec),
    "analytics": (analytics.config.Settings, analytics.main, analytics.worker.spec),
    "inbox": (inbox.config.Settings, inbox.main, inbox.worker.spec),
    "workspace": (workspace.config.Settings, workspace.main, workspace.worker.spec),
}
# Ingest's pollers would call the networks for accounts other tests left connected.
OFFLINE: dict[str, dict[str, object]] = {
    "ingest": {"poll_enabled": False, "metrics_poll_enabled": False}
}


@pytest.fixture
async def stack(
    settings_for, api_client, issue_api_key, unique
) -> AsyncIterator[dict[str, httpx.AsyncClient]]:
    """The five apps (over ASGI) and their workers (as tasks), for one fresh tenant."""
    tenant = unique("erasure")
    key = (await issue_api_key(tenant)).key
    stop = asyncio.Event()
    workers = []
    clients: dict[str, httpx.AsyncClient] = {}
    async with contextlib.AsyncExitStack() as exits:
        for name, (settings_cls, main, spec) in SERVICES.items():
            settings = settings_for(settings_cls, **OFFLINE.get(name, {}))
            workers.append(
                asyncio.create_task(run_worker(settings, spec(), stop, serve_http=False))
            )
            clients[name] = await exits.enter_async_context(
                api_client(main.create_app(settings), key=key)
            )
        try:
            yield clients
        finally:
            stop.set()
            await asyncio.gather(*workers)


def comment(external_id: str, author_id: str, text: str) -> dict[str, object]:
    return {
        "kind": "comment",
        "external_id": external_id,
        "thread_external_id": "post-1",
        "author": {"network_id": author_id, "handle": f"h-{author_id}"},
        "text": text,
        "created_at": datetime.now(UTC).isoformat(),
    }


async def authors_ranked(analytics_api: httpx.AsyncClient) -> set[str]:
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    response = await analytics_api.get(
        "/v1/analytics/top",
        params={
            "kind": "authors",
            "from": (today - timedelta(days=1)).isoformat(),
            "to": (today + timedelta(days=2)).isoformat(),
        },
    )
    assert response.status_code == 200, response.text
    return {a["author_id"] for a in response.json()["authors"]}


async def test_an_authors_data_is_erased_in_every_service_and_the_receipt_completes(stack):
    ingest_api, moderation_api = stack["ingest"], stack["moderation"]
    analytics_api, inbox_api, workspace_api = stack["analytics"], stack["inbox"], stack["workspace"]
    for item in (
        comment("c-1", "u-erased", "My order 1234 never came, call me on 0612345678"),
        comment("c-2", "u-erased", "Still waiting, this is my address: 1 rue de la Paix"),
        comment("c-3", "u-kept", "Is the blue model available in size M?"),
    ):
        filed = await ingest_api.post("/v1/interactions", json=item)
        assert filed.status_code == 202, filed.text

    async def everywhere() -> bool:
        decisions = (await moderation_api.get("/v1/decisions")).json()["items"]
        contacts = (await inbox_api.get("/v1/contacts")).json()["items"]
        ranked = await authors_ranked(analytics_api)
        return len(decisions) == 3 and len(contacts) == 2 and ranked == {"u-erased", "u-kept"}

    await eventually(everywhere, timeout=60)

    asked = await workspace_api.post(
        "/v1/erasures", json={"network": "custom", "author_id": "u-erased"}
    )
    assert asked.status_code == 202, asked.text
    erasure_id = asked.json()["id"]

    async def receipt() -> dict[str, object] | None:
        found = (await workspace_api.get(f"/v1/erasures/{erasure_id}")).json()
        return found if found["status"] == "completed" else None

    done = await eventually(receipt, timeout=60)
    assert done is not None
    erased = {s["service"]: s["erased"] for s in done["services"]}  # type: ignore[attr-defined]
    assert erased["ingest"]["interactions"] == 2
    assert erased["moderation"]["comments"] == 2
    assert erased["moderation"]["decisions"] == 2
    assert erased["analytics"]["author_rollups"] > 0
    assert erased["inbox"]["messages"] == 2
    assert erased["inbox"]["contacts"] == 1

    interactions = (await ingest_api.get("/v1/interactions")).json()["items"]
    decisions = (await moderation_api.get("/v1/decisions")).json()["items"]
    contacts = (await inbox_api.get("/v1/contacts")).json()["items"]
    conversations = (await inbox_api.get("/v1/conversations")).json()["items"]
    assert [i["author"]["network_id"] for i in interactions] == ["u-kept"]
    assert [d["external_id"] for d in decisions] == ["c-3"]
    assert [c["handle"] for c in contacts] == ["h-u-kept"]
    assert [c["message_count"] for c in conversations] == [1]
    assert await authors_ranked(analytics_api) == {"u-kept"}
