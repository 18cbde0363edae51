"""A text/event-stream response that gives up on a client who stops reading."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator, Callable

from starlette.responses import Response
from starlette.types import Message, Receive, Scope, Send


class EventStream(Response):
    """Sends the chunks `events` yields until it ends or the client leaves (`on_disconnect` tells
    the events to end); a chunk the client does not take within `write_timeout` ends the stream
    (the client resumes from its last id)."""

    media_type = "text/event-stream"

    def __init__(
        self,
        events: AsyncGenerator[bytes, None],
        *,
        write_timeout: float,
        on_disconnect: Callable[[], None],
    ) -> None:
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
        self.on_disconnect = on_disconnect

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """The ASGI application of one response."""
        gone = asyncio.Event()

        async def watch() -> None:
            while True:
                message: Message = await receive()
                if message["type"] == "http.disconnect":
                    gone.set()
                    self.on_disconnect()
                    return

        watcher = asyncio.create_task(watch())
        try:
            await send({"type": "http.response.start", "status": 200, "headers": self.raw_headers})
            async for chunk in self.events:
                if gone.is_set():
                    return
                await asyncio.wait_for(
                    send({"type": "http.response.body", "body": chunk, "more_body": True}),
                    self.write_timeout,
                )
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
            await self.events.aclose()
