import publisher.accounts.models
import publisher.authoring.models
import publisher.brands.models
import publisher.campaigns.models
import publisher.connectors.models
import publisher.delivery.models
import publisher.webhooks.models  # noqa: F401
from beacon_shared.migrations import run_env
from publisher.db import SCHEMA, metadata

run_env(SCHEMA, metadata)
