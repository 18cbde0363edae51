"""HTTP routes of the publisher's webhooks API (`beacon_shared.webhooks.router`), read with
`webhooks:read` and managed with `webhooks:write`."""

from __future__ import annotations

from beacon_shared.webhooks.router import webhook_router
from publisher.webhooks import dependencies
from publisher.webhooks.service import WEBHOOKS

router = webhook_router(
    WEBHOOKS,
    read=dependencies.read,
    write=dependencies.write,
    box_of=dependencies.box,
    egress_of=dependencies.egress,
)
