import publisher.connectors.models
import publisher.posts.models  # noqa: F401
from beacon_shared.migrations import run_env
from publisher.db import SCHEMA, metadata

run_env(SCHEMA, metadata)
