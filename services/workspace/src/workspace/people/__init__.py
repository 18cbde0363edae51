"""An organization's members: who they are, their roles, and their removal."""
