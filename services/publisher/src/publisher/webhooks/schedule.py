"""The publisher's name for `beacon_shared.webhooks.schedule`."""

from beacon_shared.webhooks.schedule import JITTER, MAX_ATTEMPTS, MAX_RETRY_AFTER, Outcome, jittered

__all__ = ["JITTER", "MAX_ATTEMPTS", "MAX_RETRY_AFTER", "Outcome", "jittered"]
