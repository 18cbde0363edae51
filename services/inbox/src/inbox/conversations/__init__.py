"""Conversations as work items: status, assignment, priority, labels, notes and search."""
