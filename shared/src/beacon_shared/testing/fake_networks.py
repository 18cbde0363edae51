"""Fake social networks for tests: their FastAPI apps reached through an httpx transport that can
fail as a test scripts, and a transport that fails anything not meant for a fake."""

from __future__ import annotations

import httpx
from fastapi import FastAPI


class Faults(httpx.AsyncBaseTransport):
    """Forwards requests to a fake network's app, failing the next ones as scripted:
    `refused` fails to connect (nothing sent), `lost` delivers the request and loses the answer
    (a read timeout after the network acted)."""

    def __init__(self, app: FastAPI) -> None:
        self._inner = httpx.ASGITransport(app=app)
        self.script: list[str] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        fault = self.script.pop(0) if self.script else None
        if fault == "refused":
            raise httpx.ConnectError("connection refused", request=request)
        response = await self._inner.handle_async_request(request)
        if fault == "lost":
            await response.aread()
            raise httpx.ReadTimeout("timed out waiting for the answer", request=request)
        return response


class NoNetwork(httpx.AsyncBaseTransport):
    """Anything not meant for a fake fails: tests never leave the machine."""

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        raise AssertionError(f"unexpected request to {request.url}")
