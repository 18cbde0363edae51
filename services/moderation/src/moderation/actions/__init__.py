"""Network actions (hide, delete, reply) requested from ingest, and their outcomes."""
