"""Interactions received by ingest (comments, replies, mentions, DMs, reactions, shares,
follows) as rollup facts, cut by account, post, campaign and author."""
