"""The organization's webhook subscriptions to the inbox's events (`beacon_shared.webhooks` on the
inbox's own tables)."""
