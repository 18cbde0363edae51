"""The brand registry: each brand of the organization, its name and its settings."""
