"""Who changed what in the workspace: one entry per write, in the write's transaction."""
