from beacon_shared.migrations import run_env
from workspace.db import SCHEMA, metadata

run_env(SCHEMA, metadata)
