"""The event envelope: building, encoding, decoding, lineage ids and record headers."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime

import orjson
import pytest

from beacon_shared.events import (
    Envelope,
    EventPayload,
    MalformedEvent,
    decode,
    encode,
    header,
    record_headers,
)
from beacon_shared.tracing import current_correlation_id, current_traceparent

TRACEPARENT = re.compile(r"^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$")


class WidgetMade(EventPayload):
    event_type = "widgets.widget.made"
    topic = "widget.made"

    widget_id: str
    size: int


class WidgetSold(EventPayload):
    event_type = "widgets.widget.sold"
    topic = "widget.sold"

    widget_id: str
    price_cents: int


def made(cause: Envelope | None = None, **kwargs: str) -> Envelope:
    return Envelope.build(
        WidgetMade(widget_id="w-1", size=3),
        tenant_id="tenant-a",
        subject="w-1",
        source="/beacon/widgets",
        cause=cause,
        **kwargs,
    )


@pytest.fixture
def correlation() -> Iterator[str]:
    token = current_correlation_id.set("req-123")
    yield "req-123"
    current_correlation_id.reset(token)


def test_an_envelope_survives_encoding_and_decoding_unchanged() -> None:
    envelope = made()

    decoded = decode(encode(envelope))

    assert decoded == envelope
    assert decoded.payload(WidgetMade) == WidgetMade(widget_id="w-1", size=3)


def test_a_built_envelope_carries_the_cloudevents_attributes() -> None:
    envelope = made()
    body = orjson.loads(encode(envelope))

    assert body["specversion"] == "1.0"
    assert body["type"] == "widgets.widget.made"
    assert body["source"] == "/beacon/widgets"
    assert body["subject"] == "w-1"
    assert body["tenantid"] == "tenant-a"
    assert body["datacontenttype"] == "application/json"
    assert body["data"] == {"widget_id": "w-1", "size": 3}
    assert envelope.time.tzinfo is not None
    assert abs((datetime.now(UTC) - envelope.time).total_seconds()) < 60


def test_each_built_envelope_gets_its_own_id() -> None:
    assert made().id != made().id


def test_without_a_cause_or_context_there_is_no_correlation_or_causation() -> None:
    envelope = made()

    assert envelope.correlationid is None
    assert envelope.causationid is None


def test_the_correlation_id_comes_from_the_current_request(correlation: str) -> None:
    assert made().correlationid == correlation


def test_a_follow_up_inherits_the_causes_correlation_and_names_it_as_its_cause(
    correlation: str,
) -> None:
    cause = made(correlation_id="original-request")

    follow_up = Envelope.build(
        WidgetSold(widget_id="w-1", price_cents=500),
        tenant_id="tenant-a",
        subject="w-1",
        source="/beacon/sales",
        cause=cause,
    )

    assert follow_up.correlationid == "original-request"
    assert follow_up.causationid == str(cause.id)


def test_a_cause_without_correlation_falls_back_to_the_current_one(correlation: str) -> None:
    cause = Envelope.model_validate({**made().model_dump(), "correlationid": None})

    assert made(cause=cause).correlationid == correlation


@pytest.mark.parametrize(
    "value",
    [
        None,
        b"",
        b"not json",
        b"[]",
        b'{"type": "widgets.widget.made"}',
        orjson.dumps({**orjson.loads(encode(made())), "specversion": "0.3"}),
        orjson.dumps({**orjson.loads(encode(made())), "time": "2026-11-24T10:00:00"}),
        orjson.dumps({**orjson.loads(encode(made())), "tenantid": ""}),
        orjson.dumps({**orjson.loads(encode(made())), "id": "not-a-uuid"}),
        orjson.dumps({**orjson.loads(encode(made())), "data": "not an object"}),
    ],
    ids=[
        "none",
        "empty",
        "not-json",
        "not-an-object",
        "missing-attributes",
        "wrong-specversion",
        "naive-time",
        "empty-tenant",
        "bad-id",
        "data-not-object",
    ],
)
def test_a_record_that_is_not_a_valid_envelope_is_malformed(value: bytes | None) -> None:
    with pytest.raises(MalformedEvent):
        decode(value)


def test_data_that_does_not_match_the_contract_is_malformed() -> None:
    envelope = Envelope.model_validate(
        {**made().model_dump(), "data": {"widget_id": "w-1", "size": "large"}}
    )

    with pytest.raises(MalformedEvent, match="WidgetMade"):
        envelope.payload(WidgetMade)


def test_data_read_as_another_contract_is_malformed() -> None:
    with pytest.raises(MalformedEvent):
        made().payload(WidgetSold)


def test_record_headers_repeat_the_id_and_type() -> None:
    envelope = made()

    headers = record_headers(envelope)

    assert header(headers, "ce_id") == str(envelope.id)
    assert header(headers, "ce_type") == "widgets.widget.made"


def test_record_headers_continue_the_current_trace_in_a_new_span() -> None:
    parent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    token = current_traceparent.set(parent)
    try:
        traceparent = header(record_headers(made()), "traceparent")
    finally:
        current_traceparent.reset(token)

    match = TRACEPARENT.match(traceparent or "")
    assert match, traceparent
    assert match.group(1) == "0af7651916cd43dd8448eb211c80319c"
    assert match.group(2) != "b7ad6b7169203331"
    assert match.group(3) == "01"


def test_record_headers_start_a_valid_trace_when_there_is_none() -> None:
    first = header(record_headers(made()), "traceparent") or ""
    second = header(record_headers(made()), "traceparent") or ""

    assert TRACEPARENT.match(first)
    assert TRACEPARENT.match(second)
    assert first.split("-")[1] != second.split("-")[1]
    assert first.split("-")[1] != "0" * 32
