# Importing the models registers their tables.
import analytics.counters.models
import analytics.responses.models  # noqa: F401
from analytics.db import SCHEMA, metadata
from beacon_shared.migrations import run_env

run_env(SCHEMA, metadata)
