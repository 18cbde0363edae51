"""Pollers of networks that have no webhooks for us: Mastodon and Bluesky notifications."""
