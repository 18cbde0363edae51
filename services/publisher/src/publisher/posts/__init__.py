"""Posts and their per-account targets: scheduled, cancelled, then published by the scheduler."""
