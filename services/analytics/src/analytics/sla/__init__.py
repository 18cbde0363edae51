"""Service levels: the inbox's response and resolution times and its SLA breaches."""
