"""Inbound social interactions: stored once, emitted once."""
