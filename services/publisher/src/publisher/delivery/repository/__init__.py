"""All SQL of targets: as planned (targets), as delivered (claims)."""
