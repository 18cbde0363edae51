"""W3C trace context carried from HTTP requests into events and from events into follow-ups.

Every process keeps the trace going in `traceparent` (request headers, record headers, the
outbox rows), so logs and events share a trace id whether or not spans are exported. With
OpenTelemetry configured (`configure_tracing`, on when `OTEL_EXPORTER_OTLP_ENDPOINT` is set) the
same places also record spans: the HTTP request, the relay publishing a record and each record's
handling, each one the parent of the next, so one comment is one trace from the webhook to
analytics. Without it none of the SDK is imported and nothing is recorded.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
from collections.abc import Iterator, Mapping
from contextvars import ContextVar
from typing import TYPE_CHECKING

from opentelemetry import trace

if TYPE_CHECKING:
    from opentelemetry.context import Context
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.util.types import AttributeValue

_TRACEPARENT = re.compile(r"^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$")
current_traceparent: ContextVar[str | None] = ContextVar("traceparent", default=None)
# The id tying a request and every event that follows from it; envelopes inherit it.
current_correlation_id: ContextVar[str | None] = ContextVar("correlation_id", default=None)
# While a batch of records is handled in one transaction: each record's event id and the
# traceparent of its handling, so an event staged for it continues its trace, not the batch's.
cause_traceparents: ContextVar[Mapping[str, str] | None] = ContextVar(
    "cause_traceparents", default=None
)

SpanKind = trace.SpanKind
_tracer: trace.Tracer | None = None
_exporting_provider: TracerProvider | None = None


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


def tracing_enabled() -> bool:
    """Whether spans are recorded in this process."""
    return _tracer is not None


def use_tracer_provider(provider: trace.TracerProvider | None) -> None:
    """Record spans with `provider` from now on (None: stop recording)."""
    global _tracer
    _tracer = provider.get_tracer("beacon") if provider is not None else None


def configure_tracing(service_name: str, env: Mapping[str, str] = os.environ) -> bool:
    """Export spans over OTLP/HTTP when an endpoint is configured; True if spans are recorded.

    The exporter reads the standard `OTEL_EXPORTER_OTLP_*` variables (endpoint, headers,
    timeout) and the sampler `OTEL_TRACES_SAMPLER`; `OTEL_SERVICE_NAME` overrides the service's
    name. Calling it again, or after a provider was chosen with `use_tracer_provider`, keeps the
    provider in place.
    """
    global _exporting_provider
    if _tracer is not None:
        return True
    endpoint = env.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") or env.get(
        "OTEL_EXPORTER_OTLP_ENDPOINT"
    )
    if not endpoint or env.get("OTEL_SDK_DISABLED", "").lower() == "true":
        return False
    # Imported here: processes that export nothing never load the SDK.
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    provider = TracerProvider(
        resource=Resource.create({"service.name": env.get("OTEL_SERVICE_NAME") or service_name})
    )
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    _exporting_provider = provider
    use_tracer_provider(provider)
    return True


def shutdown_tracing() -> None:
    """Send the spans still buffered and stop exporting (at the end of a process)."""
    global _exporting_provider
    if _exporting_provider is not None:
        provider, _exporting_provider = _exporting_provider, None
        use_tracer_provider(None)
        provider.shutdown()


def _parent_context(traceparent: str | None) -> Context | None:
    match = _TRACEPARENT.match(traceparent or "")
    if match is None:
        return None
    parent = trace.SpanContext(
        trace_id=int(match.group(1), 16),
        span_id=int(match.group(2), 16),
        is_remote=True,
        trace_flags=trace.TraceFlags(int(match.group(3), 16)),
    )
    return trace.set_span_in_context(trace.NonRecordingSpan(parent))


def traceparent_of(span: trace.Span) -> str:
    """The W3C traceparent naming `span`, for headers and outbox rows."""
    ctx = span.get_span_context()
    return f"00-{ctx.trace_id:032x}-{ctx.span_id:016x}-{int(ctx.trace_flags):02x}"


def start_span(
    name: str,
    *,
    kind: trace.SpanKind,
    parent: str | None,
    attributes: Mapping[str, AttributeValue] | None = None,
) -> trace.Span | None:
    """A started span, child of the traceparent `parent`; None when tracing is off.

    The caller ends it. It is not made current: a batch has one span per record at once.
    """
    if _tracer is None:
        return None
    return _tracer.start_span(
        name, context=_parent_context(parent), kind=kind, attributes=attributes
    )


@contextlib.contextmanager
def traced(
    name: str,
    *,
    kind: trace.SpanKind,
    parent: str | None,
    attributes: Mapping[str, AttributeValue] | None = None,
) -> Iterator[trace.Span | None]:
    """Run a block as a span (when tracing) with `current_traceparent` naming it.

    Without tracing `current_traceparent` is a child of `parent`, as events have always carried.
    An exception escaping the block marks the span as failed.
    """
    span = start_span(name, kind=kind, parent=parent, attributes=attributes)
    token = current_traceparent.set(
        child_traceparent(parent) if span is None else traceparent_of(span)
    )
    try:
        if span is None:
            yield None
        else:
            with trace.use_span(span, end_on_exit=True, record_exception=True):
                yield span
    finally:
        current_traceparent.reset(token)


def mark_failed(span: trace.Span | None, description: str) -> None:
    """Record on `span` (if any) that its work failed."""
    if span is not None:
        span.set_status(trace.Status(trace.StatusCode.ERROR, description))


def event_traceparent(causation_id: str | None) -> str:
    """The traceparent an event staged now carries.

    Its cause's handling when the event follows a record of the batch in hand, else the current
    work. With tracing that is the span itself (the relay's span becomes its child); without,
    a child of it, as before.
    """
    causes = cause_traceparents.get()
    parent = (causes.get(causation_id) if causes and causation_id else None) or (
        current_traceparent.get()
    )
    if _tracer is not None and parent is not None:
        return parent
    return child_traceparent(parent)
