"""Care: the first reply to each comment and how long it took (first-response time)."""
