"""The workspace's schema and its outbox."""

from beacon_shared.db import make_metadata
from beacon_shared.outbox import outbox_table

SCHEMA = "workspace"
metadata = make_metadata(SCHEMA)
outbox = outbox_table(metadata)
