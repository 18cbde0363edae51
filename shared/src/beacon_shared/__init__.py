"""Beacon's platform library: what every service needs and no service owns."""
