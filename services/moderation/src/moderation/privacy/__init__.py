"""Erasing an author's comments and everything moderation kept about them, on request."""
