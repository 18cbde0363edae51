"""Connectors: how a post reaches a network. Only the sandbox network is built in for now."""
