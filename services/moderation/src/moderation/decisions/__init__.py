"""Moderation decisions: one per received comment, recorded once, emitted once."""
