"""Erasure requests: the author's interactions erased, and the receipt's report."""
