"""The publisher's name for `beacon_shared.webhooks.signing`."""

from beacon_shared.webhooks.signing import MAX_SECRET_BYTES, MIN_SECRET_BYTES, secret_key

__all__ = ["MAX_SECRET_BYTES", "MIN_SECRET_BYTES", "secret_key"]
