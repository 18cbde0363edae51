"""Erasing an author's messages and contact on request."""
