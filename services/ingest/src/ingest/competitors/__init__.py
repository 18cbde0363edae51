"""Competitors' public accounts a brand tracks, for listening and share of voice."""
