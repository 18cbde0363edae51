"""The review queue: comments a human decides."""
