# Importing the models registers their tables.
from analytics.db import SCHEMA, metadata
from beacon_shared.migrations import run_env

run_env(SCHEMA, metadata)
