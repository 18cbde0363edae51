"""The inbox's schema and its inbox of handled events (it publishes nothing yet: no outbox)."""

from beacon_shared.consumer import inbox_table
from beacon_shared.db import make_metadata

SCHEMA = "inbox"
metadata = make_metadata(SCHEMA)
inbox = inbox_table(metadata)
