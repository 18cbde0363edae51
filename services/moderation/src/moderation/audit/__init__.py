"""The audit log: every decision, by a rule or a person, and every network action's outcome."""
