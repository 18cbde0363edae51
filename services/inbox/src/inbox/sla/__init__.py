"""Service levels in the inbox: per-brand SLA policies, business time, clocks and breaches."""
