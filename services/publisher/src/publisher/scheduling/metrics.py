"""The publisher's own metrics."""

from __future__ import annotations

from prometheus_client import Counter, Gauge

PUBLISH_LAG = Gauge(
    "beacon_publisher_publish_lag_seconds",
    "Now minus the due time of the oldest due target not yet published (0 when none is due).",
)
PUBLISH_OUTCOMES = Counter(
    "beacon_publisher_publish_total",
    "Publish attempts by network and outcome (published, failed, retried).",
    ["network", "outcome"],
)
