"""Inbound webhooks of the social networks: verified, normalised, stored once."""
