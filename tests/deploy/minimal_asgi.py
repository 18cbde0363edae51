"""Two ASGI apps without a database, for the serve tests: one that starts, one that cannot."""

from __future__ import annotations

from starlette.types import Receive, Scope, Send


async def app(scope: Scope, receive: Receive, send: Send) -> None:
    """Answers 200 to every request; its lifespan starts and stops cleanly."""
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            else:
                await send({"type": "lifespan.shutdown.complete"})
                return
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"ok"})


async def failing_startup(scope: Scope, receive: Receive, send: Send) -> None:
    """An app whose start-up fails, as one does when its database is unreachable."""
    await receive()
    await send({"type": "lifespan.startup.failed", "message": "database unreachable"})
