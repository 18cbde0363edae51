# Importing the models registers their tables.
import workspace.audit.models
import workspace.brands.models
import workspace.connections.models
import workspace.erasures.models
import workspace.invitations.models  # noqa: F401
from beacon_shared.migrations import run_env
from workspace.db import SCHEMA, metadata

run_env(SCHEMA, metadata)
