"""Invitations: a single-use token, shown once, that makes its bearer a member with a role."""
