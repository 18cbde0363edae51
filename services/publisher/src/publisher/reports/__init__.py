"""Analytics' scheduled reports, offered to the tenant's webhooks."""
