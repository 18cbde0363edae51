import moderation.decisions.models  # noqa: F401  (registers the tables)
from beacon_shared.migrations import run_env
from moderation.db import SCHEMA, metadata

run_env(SCHEMA, metadata)
