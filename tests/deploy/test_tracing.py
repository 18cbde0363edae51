"""OpenTelemetry traces: one comment is one trace from a network's webhook through Kafka to
analytics."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import time
import uuid
from collections.abc import AsyncIterator, Iterator

import pytest
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode
from sqlalchemy import insert

import analytics.config
import analytics.worker
import ingest.config
import ingest.main
import ingest.worker
import moderation.config
import moderation.worker
from beacon_shared import tracing
from beacon_shared.testing.plugin import eventually
from beacon_shared.worker import run_worker
from ingest.accounts.models import connected_account

PARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
META_APP_SECRET = "5f1e0c3b7a9d2e4f6a8c0b2d4e6f8a1c"


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    """Spans recorded in memory while the test runs."""
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracing.use_tracer_provider(provider)
    try:
        yield exporter
    finally:
        tracing.use_tracer_provider(None)
        provider.shutdown()


class TestWithoutAnExporter:
    def test_nothing_is_configured_without_an_endpoint(self):
        assert tracing.configure_tracing("ingest", env={}) is False
        assert tracing.configure_tracing("ingest", env={"OTEL_EXPORTER_OTLP_ENDPOINT": ""}) is False
        assert not tracing.tracing_enabled()

    def test_work_still_continues_its_callers_trace(self):
        with tracing.traced("work", kind=SpanKind.INTERNAL, parent=PARENT) as span:
            assert span is None
            current = tracing.current_traceparent.get()
        assert tracing.trace_id_of(current) == tracing.trace_id_of(PARENT)
        assert current != PARENT
        assert tracing.current_traceparent.get() is None

    def test_an_event_follows_its_cause_in_a_batch(self):
        token = tracing.cause_traceparents.set({"event-1": PARENT})
        try:
            assert tracing.trace_id_of(tracing.event_traceparent("event-1")) == (
                tracing.trace_id_of(PARENT)
            )
            unrelated = tracing.event_traceparent("event-2")
            assert tracing.trace_id_of(unrelated) != tracing.trace_id_of(PARENT)
        finally:
            tracing.cause_traceparents.reset(token)


class TestConfiguration:
    def test_an_endpoint_turns_exporting_on_until_shutdown(self):
        env = {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:9", "OTEL_SERVICE_NAME": "x"}
        try:
            assert tracing.configure_tracing("ingest", env=env) is True
            assert tracing.tracing_enabled()
            assert tracing.configure_tracing("ingest", env=env) is True  # kept, not replaced
        finally:
            tracing.shutdown_tracing()
        assert not tracing.tracing_enabled()

    def test_spans_name_themselves_in_the_current_traceparent(self, spans):
        with tracing.traced("work", kind=SpanKind.INTERNAL, parent=PARENT) as span:
            assert span is not None
            assert tracing.current_traceparent.get() == tracing.traceparent_of(span)
            assert tracing.event_traceparent(None) == tracing.traceparent_of(span)
        (recorded,) = spans.get_finished_spans()
        assert recorded.parent is not None
        assert f"{recorded.parent.span_id:016x}" == PARENT.split("-")[2]
        assert f"{recorded.context.trace_id:032x}" == PARENT.split("-")[1]


@pytest.fixture
async def pipeline(settings_for, api_client) -> AsyncIterator[object]:
    """Ingest's API (over ASGI) and the ingest, moderation and analytics workers (as tasks)."""
    stop = asyncio.Event()
    workers = [
        asyncio.create_task(
            run_worker(settings_for(settings_cls), worker.spec(), stop, serve_http=False)
        )
        for settings_cls, worker in (
            (ingest.config.Settings, ingest.worker),
            (moderation.config.Settings, moderation.worker),
            (analytics.config.Settings, analytics.worker),
        )
    ]
    app = ingest.main.create_app(
        settings_for(ingest.config.Settings, meta_app_secret=META_APP_SECRET)
    )
    try:
        async with api_client(app) as http:
            yield http
    finally:
        stop.set()
        await asyncio.gather(*workers)


def _one(spans: list[ReadableSpan], name: str, **attributes: str) -> ReadableSpan:
    """The one span of that name and attributes that did not fail. A batch failing for another
    record of its fetch (a malformed one another test left on the topic) ends its spans as
    failed, and its records are handled again under new spans."""
    found = [
        s
        for s in spans
        if s.name == name
        and all(s.attributes.get(k) == v for k, v in attributes.items())
        and s.status.status_code is not StatusCode.ERROR
    ]
    assert len(found) == 1, (name, attributes, [s.name for s in spans])
    return found[0]


@pytest.mark.integration
@pytest.mark.kafka
@pytest.mark.slow
async def test_one_comment_is_one_trace_from_the_webhook_to_analytics(
    spans, pipeline, engine, unique
):
    page = unique("page")
    async with engine.begin() as conn:
        await conn.execute(
            insert(connected_account).values(
                id=uuid.uuid4(),
                tenant_id=unique("tenant"),
                network="facebook",
                external_account_id=page,
            )
        )
    comment = {
        "field": "feed",
        "value": {
            "from": {"id": "3141592653", "name": "Ada Lovelace"},
            "post_id": f"{page}_777",
            "created_time": int(time.time()),
            "item": "comment",
            "verb": "add",
            "comment_id": unique("comment"),
            "message": "Where is my order?",
        },
    }
    body = json.dumps({"object": "page", "entry": [{"id": page, "changes": [comment]}]}).encode()
    signature = hmac.new(META_APP_SECRET.encode(), body, hashlib.sha256).hexdigest()
    response = await pipeline.post(
        "/v1/webhooks/meta",
        content=body,
        headers={"Content-Type": "application/json", "X-Hub-Signature-256": f"sha256={signature}"},
    )
    assert response.status_code == 200, response.text
    assert response.json()["stored"] == 1
    (request,) = [s for s in spans.get_finished_spans() if s.kind == SpanKind.SERVER]
    assert request.name == "POST /v1/webhooks/meta"
    trace_id = request.context.trace_id

    def trace() -> list[ReadableSpan]:
        return [s for s in spans.get_finished_spans() if s.context.trace_id == trace_id]

    def counted_by_analytics() -> bool:
        processed = {
            s.name
            for s in trace()
            if s.attributes.get("messaging.consumer.group.name") == "analytics.events"
            and s.status.status_code is not StatusCode.ERROR
        }
        return processed >= {"process comment.received", "process comment.moderated"}

    await eventually(counted_by_analytics, timeout=60)
    found = trace()
    received = _one(found, "publish comment.received")
    moderated_by = _one(
        found,
        "process comment.received",
        **{"messaging.consumer.group.name": "moderation.comments"},
    )
    decision = _one(found, "publish comment.moderated")
    counted = _one(
        found, "process comment.moderated", **{"messaging.consumer.group.name": "analytics.events"}
    )
    # Each hop is the child of the one before: request, relay, consumer, relay, consumer.
    assert received.parent.span_id == request.context.span_id
    assert moderated_by.parent.span_id == received.context.span_id
    assert decision.parent.span_id == moderated_by.context.span_id
    assert counted.parent.span_id == decision.context.span_id
    assert received.kind == decision.kind == SpanKind.PRODUCER
    assert moderated_by.kind == counted.kind == SpanKind.CONSUMER
    # Analytics also counts the comment itself, under the same relay span.
    counted_received = _one(
        found, "process comment.received", **{"messaging.consumer.group.name": "analytics.events"}
    )
    assert counted_received.parent.span_id == received.context.span_id
