"""Metrics of outgoing webhooks."""

from __future__ import annotations

from prometheus_client import Counter, Gauge

WEBHOOK_DELIVERIES = Counter(
    "beacon_publisher_webhook_deliveries_total",
    "Webhook delivery attempts by what became of the message: delivered, retrying (another "
    "attempt is scheduled) or failed (for good, including 410 Gone).",
    ["outcome"],
)
WEBHOOK_OLDEST_PENDING_AGE = Gauge(
    "beacon_publisher_webhook_oldest_pending_age_seconds",
    "Now minus the creation time of the oldest undelivered webhook to an enabled endpoint "
    "(0 when none); messages waiting out their retries count, so it grows while an endpoint "
    "is down.",
)
WEBHOOK_DISPATCH_LAG = Gauge(
    "beacon_publisher_webhook_dispatch_lag_seconds",
    "Now minus the due time of the longest-waiting due webhook (0 when none is due): how far "
    "the dispatcher is behind.",
)
