"""The publisher's webhooks: `notify` queues an event for a tenant's endpoints, in the caller's
transaction; the endpoints API and the dispatcher are `beacon_shared.webhooks`' on its tables."""

from __future__ import annotations

from beacon_shared.webhooks.service import Notice, Webhooks
from publisher.webhooks.models import TABLES
from publisher.webhooks.schemas import WEBHOOK_EVENT_TYPES

WEBHOOKS = Webhooks(TABLES, event_types=WEBHOOK_EVENT_TYPES)

notify = WEBHOOKS.notify
notify_many = WEBHOOKS.notify_many
check_event_types = WEBHOOKS.check_event_types
create_endpoint = WEBHOOKS.create_endpoint
update_endpoint = WEBHOOKS.update_endpoint
rotate_secret = WEBHOOKS.rotate_secret
redeliver = WEBHOOKS.redeliver
sealed_secrets = WEBHOOKS.sealed_secrets

__all__ = [
    "WEBHOOKS",
    "Notice",
    "check_event_types",
    "create_endpoint",
    "notify",
    "notify_many",
    "redeliver",
    "rotate_secret",
    "sealed_secrets",
    "update_endpoint",
]
