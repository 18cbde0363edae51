"""The inbox's schema, its inbox of handled events and its outbox of events to publish."""

from beacon_shared.consumer import inbox_table
from beacon_shared.db import make_metadata
from beacon_shared.outbox import outbox_table

SCHEMA = "inbox"
# The `source` of the events the inbox publishes.
SOURCE = "/beacon/inbox"
metadata = make_metadata(SCHEMA)
inbox = inbox_table(metadata)
outbox = outbox_table(metadata)
