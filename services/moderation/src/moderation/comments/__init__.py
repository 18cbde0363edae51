"""Moderation's copy of each received comment, with its classification."""
