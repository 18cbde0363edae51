from beacon_shared.auth.tables import IAM_SCHEMA, metadata
from beacon_shared.migrations import run_env

run_env(IAM_SCHEMA, metadata)
