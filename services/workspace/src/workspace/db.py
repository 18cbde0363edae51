"""The workspace's schema, its outbox and its inbox."""

from beacon_shared.consumer import inbox_table
from beacon_shared.db import make_metadata
from beacon_shared.outbox import outbox_table

SCHEMA = "workspace"
metadata = make_metadata(SCHEMA)
outbox = outbox_table(metadata)
inbox = inbox_table(metadata)
