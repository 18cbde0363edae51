"""Outgoing webhooks per the Standard Webhooks spec: signing, retry schedule, one delivery.

One machinery for every service that sends webhooks; each keeps its own tables (`tables`, made in
its schema) and says which event types exist. `service.Webhooks` is one service's endpoints and
`notify`, which queues an event for a tenant's endpoints; `router` is the endpoints API;
`dispatcher` the worker job that sends them. Import those modules directly (they need the
database, these pure parts do not).
"""

from beacon_shared.webhooks.delivery import Attempt, JsonValue, deliver, envelope
from beacon_shared.webhooks.schedule import (
    MAX_ATTEMPTS,
    RETRY_DELAYS,
    Outcome,
    classify,
    next_attempt_at,
    parse_retry_after,
)
from beacon_shared.webhooks.signing import (
    InvalidSecret,
    MalformedHeaders,
    NoMatchingSignature,
    TimestampOutOfTolerance,
    WebhookVerificationError,
    headers,
    new_secret,
    sign,
    sign_all,
    verify,
)

__all__ = [
    "MAX_ATTEMPTS",
    "RETRY_DELAYS",
    "Attempt",
    "InvalidSecret",
    "JsonValue",
    "MalformedHeaders",
    "NoMatchingSignature",
    "Outcome",
    "TimestampOutOfTolerance",
    "WebhookVerificationError",
    "classify",
    "deliver",
    "envelope",
    "headers",
    "new_secret",
    "next_attempt_at",
    "parse_retry_after",
    "sign",
    "sign_all",
    "verify",
]
