"""The live stream over real HTTP (uvicorn on loopback): what a client sees, resuming with
Last-Event-ID, the reload signal, brands, and a client that falls behind."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import orjson
import pytest
import uvicorn
from sqlalchemy import select

from beacon_shared.db import create_sessionmaker
from beacon_shared.embedded import free_port
from inbox.config import Settings
from inbox.events_out import Event, publish
from inbox.main import create_app
from inbox.stream import service as stream
from inbox.stream.models import stream_event

pytestmark = pytest.mark.integration


@contextlib.asynccontextmanager
async def serving(settings: Settings) -> AsyncIterator[str]:
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning")
    )
    task = asyncio.create_task(server.serve())
    while not server.started:  # noqa: ASYNC110 - uvicorn sets a flag, not an event
        await asyncio.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 15)


@pytest.fixture
async def base_url(settings_for) -> AsyncIterator[str]:
    async with serving(settings_for(Settings, api_key_cache_seconds=0)) as url:
        yield url


class Client:
    """An SSE client reading frames as they come."""

    def __init__(self, response: httpx.Response) -> None:
        self.response = response
        self.lines = response.aiter_lines()

    async def next(self, timeout: float = 10.0) -> dict[str, Any]:
        """The next event (comments skipped): id, event and parsed data."""
        frame: dict[str, Any] = {}
        async with asyncio.timeout(timeout):
            async for line in self.lines:
                if line == "":
                    if "event" in frame or "id" in frame:
                        return frame
                    frame = {}
                    continue
                if line.startswith(":"):
                    continue
                name, _, value = line.partition(": ")
                frame[name] = orjson.loads(value) if name == "data" else value
        raise EOFError("the stream ended")


@contextlib.asynccontextmanager
async def following(base_url: str, key: str, **headers: str) -> AsyncIterator[Client]:
    async with (
        httpx.AsyncClient(base_url=base_url, timeout=30) as http,
        http.stream(
            "GET", "/v1/inbox/stream", headers={"Authorization": f"Bearer {key}", **headers}
        ) as response,
    ):
        assert response.status_code == 200, await response.aread()
        assert response.headers["content-type"].startswith("text/event-stream")
        yield Client(response)


async def opened(client: Client) -> None:
    """Wait until the stream is live (its `retry` line follows the events read from the log)."""
    async with asyncio.timeout(10):
        async for line in client.lines:
            if line.startswith("retry:"):
                return


async def test_a_filed_message_reaches_an_open_stream(base_url, tenant, member, receive):
    agent = await member(tenant, "agent")
    async with following(base_url, agent.key) as client:
        await opened(client)
        comment = await receive(tenant, "Is the blue one back in stock?")
        event = await client.next()
    assert event["event"] == "message.received"
    assert event["data"]["type"] == "message.received"
    assert event["data"]["data"]["interaction_id"] == str(comment.interaction_id)
    assert int(event["id"]) > 0


async def test_a_reconnect_with_last_event_id_gets_what_followed(base_url, tenant, member, receive):
    agent = await member(tenant, "agent")
    async with following(base_url, agent.key) as client:
        await opened(client)
        await receive(tenant, "one", thread_external_id="p-1")
        first = await client.next()
    await receive(tenant, "two", thread_external_id="p-2")
    await receive(tenant, "three", thread_external_id="p-3")

    async with following(base_url, agent.key, **{"Last-Event-ID": first["id"]}) as client:
        missed = [await client.next(), await client.next()]
        await receive(tenant, "four", thread_external_id="p-4")
        live = await client.next()
    assert [e["data"]["data"]["text"] for e in [*missed, live]] == ["two", "three", "four"]
    assert int(missed[0]["id"]) > int(first["id"])


async def test_an_id_older_than_the_log_gets_a_reload_then_the_live_events(
    base_url, tenant, member, receive, engine
):
    agent = await member(tenant, "agent")
    for n in range(3):
        await receive(tenant, f"old {n}", thread_external_id=f"p-{n}")
    async with engine.connect() as conn:
        oldest = await conn.scalar(
            select(stream_event.c.id)
            .where(stream_event.c.tenant_id == tenant)
            .order_by(stream_event.c.id)
        )
    async with create_sessionmaker(engine)() as session, session.begin():
        await stream.trim(session, now=datetime.now(UTC), keep_for=timedelta(hours=1), keep=1)

    async with following(base_url, agent.key, **{"Last-Event-ID": str(oldest)}) as client:
        reload = await client.next()
        await receive(tenant, "new", thread_external_id="p-new")
        live = await client.next()
    assert reload["event"] == "reload"
    assert live["data"]["data"]["text"] == "new"
    assert int(live["id"]) > int(reload["id"])


async def test_a_member_limited_to_a_brand_follows_only_its_events(
    base_url, tenant, member, receive
):
    limited = await member(tenant, "agent", brand_roles={"brand-2": "agent"})
    async with following(base_url, limited.key) as client:
        await opened(client)
        await receive(tenant, "brand 1", thread_external_id="p-1")
        await receive(tenant, "no brand", brand_id=None, thread_external_id="p-0")
        await receive(tenant, "brand 2", brand_id="brand-2", thread_external_id="p-2")
        event = await client.next()
    assert event["data"]["data"]["text"] == "brand 2"


async def test_bad_requests_get_problems(base_url, tenant, member, issue_api_key):
    agent = await member(tenant, "agent")
    limited = await member(tenant, "agent", brand_roles={"brand-1": "agent"})
    publisher_key = await issue_api_key(tenant, scopes=("posts:read",))
    async with httpx.AsyncClient(base_url=base_url) as http:
        bad_id = await http.get(
            "/v1/inbox/stream",
            headers={"Authorization": f"Bearer {agent.key}", "Last-Event-ID": "abc"},
        )
        other_brand = await http.get(
            "/v1/inbox/stream",
            params={"brand_id": "brand-2"},
            headers={"Authorization": f"Bearer {limited.key}"},
        )
        no_scope = await http.get(
            "/v1/inbox/stream", headers={"Authorization": f"Bearer {publisher_key.key}"}
        )
        anonymous = await http.get("/v1/inbox/stream")
    assert (bad_id.status_code, bad_id.json()["code"]) == (422, "invalid_last_event_id")
    assert (other_brand.status_code, other_brand.json()["code"]) == (403, "brand_not_allowed")
    assert no_scope.status_code == 403
    assert anonymous.status_code == 401


async def test_a_client_that_falls_behind_is_cut_off_and_resumes_without_losing_any(
    settings_for, tenant, member, engine
):
    agent = await member(tenant, "agent")
    settings = settings_for(Settings, api_key_cache_seconds=0, stream_buffer=10)
    burst = [
        Event(tenant, "brand-1", "message.received", {"text": f"burst {n}"}) for n in range(20)
    ]
    async with serving(settings) as base_url:
        async with following(base_url, agent.key) as client:
            await opened(client)
            # Twenty events in one commit, more than the client's buffer holds.
            async with create_sessionmaker(engine)() as session, session.begin():
                await publish(session, burst)
            seen: list[dict[str, Any]] = []
            with contextlib.suppress(EOFError):
                while True:
                    seen.append(await client.next(timeout=5))
        assert len(seen) < 20
        last = seen[-1]["id"] if seen else "0"
        async with following(base_url, agent.key, **{"Last-Event-ID": last}) as client:
            rest = [await client.next() for _ in range(20 - len(seen))]
    texts = [e["data"]["data"]["text"] for e in [*seen, *rest]]
    assert texts == [f"burst {n}" for n in range(20)]


async def test_a_stream_ends_at_its_time_though_nothing_happens(settings_for, tenant, member):
    agent = await member(tenant, "agent")
    # The heartbeat is far longer than the stream's time: the end must not wait for it.
    settings = settings_for(
        Settings, api_key_cache_seconds=0, stream_max_seconds=0.5, stream_heartbeat_seconds=60
    )
    async with serving(settings) as base_url, following(base_url, agent.key) as client:
        await opened(client)
        with pytest.raises(EOFError):
            await client.next(timeout=10)
