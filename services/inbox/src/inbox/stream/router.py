"""`GET /v1/inbox/stream`: the inbox's events as Server-Sent Events, resumable with
`Last-Event-ID`, on the brands the caller may read."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncGenerator, AsyncIterator
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, FastAPI, Header, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncEngine

from beacon_shared.auth.brand_reads import brands_to_read
from beacon_shared.auth.brands import Brands
from beacon_shared.auth.principal import Principal
from beacon_shared.logging import get_logger
from inbox.access import READ, Reader
from inbox.config import Settings
from inbox.stream import service
from inbox.stream.exceptions import InvalidLastEventId
from inbox.stream.hub import PAGE, StreamHub, Subscription
from inbox.stream.response import EventStream

log = get_logger(__name__)
router = APIRouter(prefix="/v1/inbox", tags=["stream"])
# The client waits this long before reconnecting after the stream ends.
RETRY_MS = 1000
# A client that takes no bytes for this long is gone or stuck.
WRITE_TIMEOUT_SECONDS = 30.0


class StreamQuery(BaseModel):
    """What to follow."""

    model_config = ConfigDict(extra="forbid")

    brand_id: str | None = Field(
        default=None, max_length=128, description="One brand's events only."
    )


def hub_of(request: Request) -> StreamHub:
    """The process's hub, made at the first stream."""
    state = request.app.state
    hub: StreamHub | None = getattr(state, "stream_hub", None)
    if hub is None:
        settings: Settings = state.settings
        engine: AsyncEngine = state.engine
        hub = state.stream_hub = StreamHub(engine, buffer=settings.stream_buffer)
    return hub


def _last_event_id(raw: str | None) -> int | None:
    if raw is None or not raw.strip():
        return None
    value = raw.strip()
    if not value.isascii() or not value.isdigit() or len(value) > 19:
        raise InvalidLastEventId(raw)
    return int(value)


def frame(event_id: int, event_type: str, data: Any) -> bytes:
    """One event as the SSE wire format: id, event name and JSON data on one line."""
    return b"id: %d\nevent: %s\ndata: %s\n\n" % (event_id, event_type.encode(), orjson.dumps(data))


@router.get(
    "/stream",
    summary="Follow the inbox live (Server-Sent Events)",
    response_class=Response,
    responses={
        200: {"content": {"text/event-stream": {}}, "description": "A stream of events."},
        401: {},
        403: {},
        422: {},
    },
)
async def stream(
    request: Request,
    query: Annotated[StreamQuery, Query()],
    principal: Reader,
    brands: Brands,
    last_event_id: Annotated[str | None, Header(alias="Last-Event-ID", max_length=64)] = None,
) -> EventStream:
    """`text/event-stream`: each event's `id` is its place in the organization's log, `event`
    its type, `data` the same JSON body a webhook carries. Reconnect with `Last-Event-ID` to get
    what followed; when the log no longer holds it, a `reload` event says to load the lists
    again, and the stream goes on from there. A client that falls behind is cut off and
    resumes the same way; a comment line comes every `INBOX_STREAM_HEARTBEAT_SECONDS`."""
    after = _last_event_id(last_event_id)
    brand_ids = await brands_to_read(brands, principal, READ, query.brand_id)
    settings: Settings = request.app.state.settings
    hub = hub_of(request)
    subscription = await hub.subscribe(principal.tenant_id, brand_ids)
    try:
        engine: AsyncEngine = request.app.state.engine
        async with engine.connect() as conn:
            start = await service.start(conn, tenant_id=principal.tenant_id, last_event_id=after)
    except BaseException:
        hub.unsubscribe(subscription)
        raise
    log.info(
        "stream.opened",
        tenant_id=principal.tenant_id,
        actor=principal.actor,
        after_id=start.after_id,
        missed=start.missed,
    )
    return EventStream(
        _events(hub, subscription, principal, start, engine, settings),
        write_timeout=WRITE_TIMEOUT_SECONDS,
        on_disconnect=subscription.close,
    )


async def _events(
    hub: StreamHub,
    subscription: Subscription,
    principal: Principal,
    start: service.Start,
    engine: AsyncEngine,
    settings: Settings,
) -> AsyncGenerator[bytes, None]:
    """The events after `start` from the log, then the live ones from the hub."""
    ends_at = time.monotonic() + settings.stream_max_seconds
    seen = start.after_id
    try:
        if start.missed:
            yield frame(
                seen,
                "reload",
                {
                    "reason": "the events after Last-Event-ID are no longer kept; load the inbox "
                    "again, then follow from this event"
                },
            )
        while True:
            async with engine.connect() as conn:
                rows = await service.read(
                    conn,
                    tenant_id=principal.tenant_id,
                    after_id=seen,
                    brand_ids=subscription.brand_ids,
                    limit=PAGE,
                )
            for row in rows:
                yield _frame(row)
                seen = row.id
            if len(rows) < PAGE:
                break
        # Sent once the log is read: from here on every event comes from the hub, so a client
        # (or a test) seeing it knows the stream is live.
        yield b"retry: %d\n\n" % RETRY_MS
        while not subscription.cut_off.is_set():
            remaining = ends_at - time.monotonic()
            if remaining <= 0:
                break
            try:
                # Waiting no longer than the stream has left: it ends on time, not at the next
                # heartbeat.
                live = await asyncio.wait_for(
                    subscription.buffer.get(), min(settings.stream_heartbeat_seconds, remaining)
                )
            except TimeoutError:
                if time.monotonic() < ends_at:
                    yield b": keep-alive\n\n"
                continue
            if live is None:
                break
            if live.id > seen:
                yield _frame(live)
                seen = live.id
        if subscription.fell_behind:
            log.info("stream.cut_off", tenant_id=principal.tenant_id, last_event_id=seen)
    finally:
        hub.unsubscribe(subscription)


def _frame(row: Row[Any]) -> bytes:
    return frame(row.id, row.type, row.data)


@contextlib.asynccontextmanager
async def closing_hub(app: FastAPI) -> AsyncIterator[None]:
    """The app's lifespan part: the hub, made at the first stream, is closed at shutdown."""
    try:
        yield
    finally:
        hub: StreamHub | None = getattr(app.state, "stream_hub", None)
        if hub is not None:
            await hub.aclose()
