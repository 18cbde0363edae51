"""Report errors."""

from beacon_shared.errors import NotFound


class ReportNotFound(NotFound):
    code, title = "report_not_found", "Report not found"


class ReportScheduleNotFound(NotFound):
    code, title = "report_schedule_not_found", "The brand has no report schedule"
