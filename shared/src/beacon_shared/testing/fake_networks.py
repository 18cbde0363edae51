"""Fake social networks for tests: their FastAPI apps reached through an httpx transport that can
fail as a test scripts, a transport that fails anything not meant for a fake, a clock moved by
hand, and multipart parsing for fakes that take uploads."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email import policy
from email.parser import BytesParser

import httpx
from fastapi import FastAPI

# When a test's clock starts.
CLOCK_START = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, at: datetime = CLOCK_START) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at

    def advance(self, seconds: float) -> None:
        self.at += timedelta(seconds=seconds)


def form_parts(body: bytes, content_type: str) -> dict[str, tuple[str | None, str, bytes]]:
    """A multipart/form-data body by field name: (file name, content type, bytes)."""
    message = BytesParser(policy=policy.HTTP).parsebytes(
        b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + body
    )
    parts: dict[str, tuple[str | None, str, bytes]] = {}
    for part in message.iter_parts():
        payload = part.get_payload(decode=True)
        name = str(part.get_param("name", header="content-disposition"))
        parts[name] = (
            part.get_filename(),
            part.get_content_type(),
            payload if isinstance(payload, bytes) else b"",
        )
    return parts


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
