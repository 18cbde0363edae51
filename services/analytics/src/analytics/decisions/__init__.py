"""Moderation decisions as rollup facts: outcomes per action (a revision takes its replaced
action back) and each comment's sentiment."""
