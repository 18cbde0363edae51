# Importing the models registers their tables.
import inbox.contacts.models
import inbox.conversations.models  # noqa: F401
import inbox.replies.models  # noqa: F401
from beacon_shared.migrations import run_env
from inbox.db import SCHEMA, metadata

run_env(SCHEMA, metadata)
