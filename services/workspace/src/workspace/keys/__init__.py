"""API keys over REST: the organization's keys, and members' personal tokens."""
