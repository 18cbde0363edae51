# Importing the models registers their tables.
import analytics.alerts.models
import analytics.brands.models
import analytics.listening.models
import analytics.posts.models
import analytics.reports.models
import analytics.responses.models
import analytics.roi.models
import analytics.rollups.models
import analytics.sla.models  # noqa: F401
from analytics.db import SCHEMA, metadata
from beacon_shared.migrations import run_env

run_env(SCHEMA, metadata)
