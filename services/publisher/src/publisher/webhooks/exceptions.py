"""The publisher's name for `beacon_shared.webhooks.exceptions`."""

from beacon_shared.webhooks.exceptions import InvalidEndpointUrl, UnknownEventType

__all__ = ["InvalidEndpointUrl", "UnknownEventType"]
