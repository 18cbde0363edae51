"""Listening: posts' public metrics (own and competitors'), share of voice, term trends with
spike detection, and the best time to post per account."""
