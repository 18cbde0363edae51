"""Outgoing webhooks per the Standard Webhooks spec: signing, retry schedule, one delivery.

The endpoints API is `router`, `service.notify` queues an event for a tenant's endpoints, and
`dispatcher` is the worker job that sends them; import those modules directly (they need the
database, these pure parts do not).
"""

from publisher.webhooks.delivery import Attempt, JsonValue, deliver, envelope
from publisher.webhooks.schedule import (
    MAX_ATTEMPTS,
    RETRY_DELAYS,
    Outcome,
    classify,
    next_attempt_at,
    parse_retry_after,
)
from publisher.webhooks.signing import (
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
