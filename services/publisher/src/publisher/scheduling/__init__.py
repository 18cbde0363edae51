"""The scheduler: claims due targets, publishes them through connectors, records the outcome."""
