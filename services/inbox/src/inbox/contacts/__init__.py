"""Contacts: one profile per author per brand, across the networks that identify them."""
