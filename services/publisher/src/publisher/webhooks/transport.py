"""The publisher's name for `beacon_shared.webhooks.transport`."""

from beacon_shared.webhooks.transport import webhook_client

__all__ = ["webhook_client"]
