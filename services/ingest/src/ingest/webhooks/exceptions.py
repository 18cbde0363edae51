"""Webhook errors, rendered as problem details."""

from __future__ import annotations

from beacon_shared.errors import DomainError


class InvalidSignature(DomainError):
    # Not `Unauthorized`: a network signs its deliveries, there is no bearer token to ask for.
    status, code, title = 401, "invalid_signature", "The delivery's signature is missing or wrong"


class VerificationFailed(DomainError):
    status, code, title = 403, "verification_failed", "The subscription handshake was refused"


class WebhookNotConfigured(DomainError):
    status, code, title = 503, "webhook_not_configured", "This webhook is not configured"

    def __init__(self, setting: str) -> None:
        super().__init__(f"Ingest has no {setting}; set it and restart ingest.")
