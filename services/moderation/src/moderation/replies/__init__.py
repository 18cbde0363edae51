"""Saved replies with variables, per tenant or per brand."""
