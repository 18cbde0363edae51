"""Brands as analytics knows them: every brand seen in an event, and its time zone (its days)."""
