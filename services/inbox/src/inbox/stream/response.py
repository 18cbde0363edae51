"""A text/event-stream response that gives up on a client who stops reading."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from starlette.responses import Response
from starlette.types import Message, Receive, Scope, Send


class EventStream(Response):
    """Sends the chunks `events` yields until it ends or the client leaves; a chunk the client
    does not take within `write_timeout` ends the stream (the client resumes from its last id)."""

    media_type = "text/event-stream"

    def __init__(self, events: AsyncIterator[bytes], *, write_timeout: float) -> None:
        # As StreamingResponse does: no body, so no content-length.
        self.status_code = 200
        self.background = None
        self.init_headers(
            {
                "cache-control": "no-cache",
                # Proxies such as nginx would otherwise hold events back to fill their buffers.
                "x-accel-buffering": "no",
            }
        )
        self.events = events
        self.write_timeout = write_timeout

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """The ASGI application of one response."""
        gone = asyncio.Event()

        async def watch() -> None:
            while True:
                message: Message = await receive()
                if message["type"] == "http.disconnect":
                    gone.set()
                    return

        watcher = asyncio.create_task(watch())
        try:
            await send({"type": "http.response.start", "status": 200, "headers": self.raw_headers})
            async for chunk in _until(self.events, gone):
                await asyncio.wait_for(
                    send({"type": "http.response.body", "body": chunk, "more_body": True}),
                    self.write_timeout,
                )
            if not gone.is_set():
                await asyncio.wait_for(
                    send({"type": "http.response.body", "body": b"", "more_body": False}),
                    self.write_timeout,
                )
        except (TimeoutError, OSError):
            pass
        finally:
            watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watcher
            await self.events.aclose()  # type: ignore[attr-defined]


async def _until(events: AsyncIterator[bytes], gone: asyncio.Event) -> AsyncIterator[bytes]:
    """The chunks until the client leaves, noticed even while no event comes."""
    gone_wait = asyncio.ensure_future(gone.wait())
    try:
        while True:
            following = asyncio.ensure_future(anext(events))
            await asyncio.wait({following, gone_wait}, return_when=asyncio.FIRST_COMPLETED)
            if not following.done():
                following.cancel()
                with contextlib.suppress(asyncio.CancelledError, StopAsyncIteration):
                    await following
                return
            try:
                yield following.result()
            except StopAsyncIteration:
                return
    finally:
        gone_wait.cancel()
