"""The publisher's name for `beacon_shared.webhooks.delivery`."""

from beacon_shared.webhooks.delivery import EXCERPT_BYTES, Attempt

__all__ = ["EXCERPT_BYTES", "Attempt"]
