"""The reply route's Idempotency-Keys: a retried reply is a retry within the day; past that a
key may be used again."""

from __future__ import annotations

from datetime import timedelta

from beacon_shared.idempotency import KeyTable
from inbox.replies.models import idempotency_key

reply_keys = KeyTable(idempotency_key, keep=timedelta(hours=24))
