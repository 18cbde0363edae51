"""The inbox's webhook_endpoint, webhook_delivery and webhook_attempt tables."""

from __future__ import annotations

from beacon_shared.webhooks.tables import webhook_tables
from inbox.db import metadata

TABLES = webhook_tables(metadata)
