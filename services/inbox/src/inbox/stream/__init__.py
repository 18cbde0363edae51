"""The inbox's live stream: a bounded per-organization log of its events, read by Server-Sent
Events clients from where they left off."""
