# Importing the models registers their tables.
import inbox.contacts.models
import inbox.conversations.models
import inbox.replies.models
import inbox.sla.models
import inbox.stream.models
import inbox.webhooks.models  # noqa: F401
from beacon_shared.migrations import run_env
from inbox.db import SCHEMA, metadata

run_env(SCHEMA, metadata)
