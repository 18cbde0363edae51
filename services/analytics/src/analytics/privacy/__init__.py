"""Erasing an author's own rollup rows on request."""
