"""The inbox's webhooks: the event types an organization may subscribe to, on its own tables."""

from __future__ import annotations

from beacon_shared.webhooks.service import Webhooks
from inbox.webhooks.models import TABLES

# The inbox's events, on its live stream and to webhook subscriptions alike. The database keeps
# plain text, so a new type needs no migration.
MESSAGE_RECEIVED = "message.received"
MESSAGE_MODERATED = "message.moderated"
CONVERSATION_STATUS_CHANGED = "conversation.status_changed"
CONVERSATION_ASSIGNED = "conversation.assigned"
SLA_BREACHED = "sla.breached"
EVENT_TYPES: tuple[str, ...] = (
    MESSAGE_RECEIVED,
    MESSAGE_MODERATED,
    CONVERSATION_STATUS_CHANGED,
    CONVERSATION_ASSIGNED,
    SLA_BREACHED,
)

WEBHOOKS = Webhooks(TABLES, event_types=EVENT_TYPES)
