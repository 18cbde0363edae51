"""Erasure requests: one author's data erased in every service that holds it, with a receipt."""
