import ingest.accounts.models
import ingest.actions.models
import ingest.competitors.models
import ingest.interactions.models
import ingest.post_metrics.models  # noqa: F401  (registers the tables)
from beacon_shared.migrations import run_env
from ingest.db import SCHEMA, metadata

run_env(SCHEMA, metadata)
