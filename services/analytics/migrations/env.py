import analytics.counters.models  # noqa: F401  (registers the tables)
from analytics.db import SCHEMA, metadata
from beacon_shared.migrations import run_env

run_env(SCHEMA, metadata)
