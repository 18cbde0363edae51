"""The publisher's webhook_endpoint, webhook_delivery and webhook_attempt tables."""

from __future__ import annotations

from beacon_shared.webhooks.tables import DeliveryStatus, webhook_tables
from publisher.db import metadata

TABLES = webhook_tables(metadata)
webhook_endpoint = TABLES.endpoint
webhook_delivery = TABLES.delivery
webhook_attempt = TABLES.attempt

__all__ = ["TABLES", "DeliveryStatus", "webhook_attempt", "webhook_delivery", "webhook_endpoint"]
