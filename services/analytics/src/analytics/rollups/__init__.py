"""Rollups: every figure analytics serves, pre-aggregated per tenant, brand, dimension and time
bucket, written a batch at a time with set-based upserts and read without touching raw events."""
