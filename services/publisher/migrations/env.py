from beacon_shared.migrations import run_env
from publisher.db import SCHEMA, metadata

run_env(SCHEMA, metadata)
