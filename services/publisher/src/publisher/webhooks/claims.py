"""The dispatcher's claims on the publisher's deliveries (`beacon_shared.webhooks.claims`)."""

from __future__ import annotations

from beacon_shared.webhooks.claims import LEASE_EXPIRED, ClaimedDelivery, Claims, Recorded
from publisher.webhooks.models import TABLES

CLAIMS = Claims(TABLES)
claim_due = CLAIMS.claim_due
record_attempt = CLAIMS.record_attempt

__all__ = ["CLAIMS", "LEASE_EXPIRED", "ClaimedDelivery", "Recorded", "claim_due", "record_attempt"]
