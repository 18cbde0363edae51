# Importing the models registers their tables.
import moderation.actions.models
import moderation.alerts.models
import moderation.audit.models
import moderation.comments.models
import moderation.decisions.models
import moderation.learning.models
import moderation.replies.models
import moderation.review.models
import moderation.rules.models  # noqa: F401
from beacon_shared.migrations import run_env
from moderation.db import SCHEMA, metadata

run_env(SCHEMA, metadata)
