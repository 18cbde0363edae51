"""Sentiment of comments: moderation's score joined to the comment it scores, so the mix can be
cut by account, post, campaign and author (comment.moderated carries none of them)."""
