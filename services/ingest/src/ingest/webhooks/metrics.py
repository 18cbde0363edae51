"""Metrics of the inbound webhooks, shared by every network's receiver."""

from __future__ import annotations

from prometheus_client import Counter

WEBHOOK_REJECTED = Counter(
    "beacon_ingest_webhook_rejected_total",
    "Webhook deliveries (or parts of them) not stored, by network and reason "
    "(bad_signature, missing_signature, malformed, unsupported, unknown_account).",
    ["network", "reason"],
)
