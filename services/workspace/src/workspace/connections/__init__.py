"""Connected network accounts: one registry per brand, OAuth connect flows, sealed credentials."""
