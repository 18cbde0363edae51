"""W3C trace context carried from HTTP requests into events and from events into follow-ups."""

from __future__ import annotations

import re
import secrets
from contextvars import ContextVar

_TRACEPARENT = re.compile(r"^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$")
current_traceparent: ContextVar[str | None] = ContextVar("traceparent", default=None)
# The id tying a request and every event that follows from it; envelopes inherit it.
current_correlation_id: ContextVar[str | None] = ContextVar("correlation_id", default=None)


def child_traceparent(parent: str | None) -> str:
    """A traceparent for new work: same trace as `parent` (when valid), new span id."""
    match = _TRACEPARENT.match(parent or "")
    trace_id = match.group(1) if match else secrets.token_hex(16)
    flags = match.group(3) if match else "01"
    return f"00-{trace_id}-{secrets.token_hex(8)}-{flags}"


def trace_id_of(traceparent: str | None) -> str | None:
    """The trace id inside a traceparent, or None."""
    match = _TRACEPARENT.match(traceparent or "")
    return match.group(1) if match else None
