"""The publisher's name for `beacon_shared.webhooks.urls`."""

from beacon_shared.webhooks.urls import check_url

__all__ = ["check_url"]
