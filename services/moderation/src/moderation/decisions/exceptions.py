"""Decision errors."""

from beacon_shared.errors import NotFound


class DecisionNotFound(NotFound):
    code, title = "decision_not_found", "Decision not found"
