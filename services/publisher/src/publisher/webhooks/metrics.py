"""Metrics of the publisher's outgoing webhooks (`beacon_publisher_webhook_…`)."""

from __future__ import annotations

from beacon_shared.webhooks.metrics import webhook_metrics

METRICS = webhook_metrics("publisher")
