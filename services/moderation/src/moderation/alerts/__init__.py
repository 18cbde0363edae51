"""Heightened moderation: while a bad-buzz alert of a brand is open, comments its rules would
allow but that are negative or somewhat toxic go to a person (see `adjustment`)."""
