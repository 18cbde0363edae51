"""Metrics of outgoing webhooks, named after the service sending them."""

from __future__ import annotations

from dataclasses import dataclass

from prometheus_client import Counter, Gauge


@dataclass(frozen=True)
class WebhookMetrics:
    """One service's webhook metrics (`beacon_<service>_webhook_…`)."""

    deliveries: Counter
    oldest_pending_age: Gauge
    dispatch_lag: Gauge


def webhook_metrics(service: str) -> WebhookMetrics:
    """Register the metrics of `service`'s webhooks; once per process and service."""
    prefix = f"beacon_{service}_webhook"
    return WebhookMetrics(
        deliveries=Counter(
            f"{prefix}_deliveries_total",
            "Webhook delivery attempts by what became of the message: delivered, retrying "
            "(another attempt is scheduled) or failed (for good, including 410 Gone).",
            ["outcome"],
        ),
        oldest_pending_age=Gauge(
            f"{prefix}_oldest_pending_age_seconds",
            "Now minus the creation time of the oldest undelivered webhook to an enabled "
            "endpoint (0 when none); messages waiting out their retries count, so it grows "
            "while an endpoint is down.",
        ),
        dispatch_lag=Gauge(
            f"{prefix}_dispatch_lag_seconds",
            "Now minus the due time of the longest-waiting due webhook (0 when none is due): how "
            "far the dispatcher is behind.",
        ),
    )
