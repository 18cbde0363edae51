"""Beacon's shared inbox: every comment thread and private conversation as a work item."""
