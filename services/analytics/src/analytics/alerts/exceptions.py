"""Alert errors."""

from beacon_shared.errors import Conflict, NotFound


class AlertNotFound(NotFound):
    code, title = "alert_not_found", "Alert not found"


class AlertAlreadyResolved(Conflict):
    code, title = "alert_already_resolved", "This alert is already resolved"
