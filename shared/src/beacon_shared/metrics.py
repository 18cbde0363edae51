"""Prometheus metrics shared by every service (one registry per process)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

HTTP_REQUESTS = Histogram(
    "beacon_http_request_duration_seconds",
    "HTTP request duration by route and status.",
    ["method", "route", "status"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
OUTBOX_OLDEST_AGE = Gauge(
    "beacon_outbox_oldest_unsent_age_seconds",
    "Age of the oldest outbox row not yet acknowledged by the broker (publish lag).",
    ["schema"],
)
OUTBOX_PUBLISHED = Counter(
    "beacon_outbox_published_total", "Outbox rows published and acknowledged.", ["schema"]
)
OUTBOX_ERRORS = Counter(
    "beacon_outbox_publish_errors_total", "Failed outbox publish attempts.", ["schema"]
)
CONSUMED = Counter(
    "beacon_consumer_events_total",
    "Events consumed, by outcome (handled, duplicate, skipped, dead_lettered).",
    ["group", "topic", "outcome"],
)
CONSUMER_RETRIES = Counter(
    "beacon_consumer_retries_total", "Handler attempts retried after an error.", ["group", "topic"]
)
CONSUMER_LAG = Gauge(
    "beacon_consumer_lag",
    "High watermark minus committed position.",
    ["group", "topic", "partition"],
)
OUTBOX_REPLAYED = Counter(
    "beacon_outbox_replayed_total",
    "Relayed outbox rows sent again because the broker lost them, by how the loss was found.",
    ["schema", "reason"],
)
