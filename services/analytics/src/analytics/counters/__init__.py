"""Event counters: how many of each thing happened per tenant, brand and minute."""
