"""Posts as their authors write them: drafted, reviewed, scheduled, cancelled, retried."""
