"""SLA policy errors, rendered as problem documents naming the field at fault (an unknown time
zone is `beacon_shared.zones.InvalidTimeZone`)."""

from __future__ import annotations

from collections.abc import Sequence

from beacon_shared.errors import InvalidInput, NotFound


def _error(pointer: str, type_: str, message: str) -> dict[str, object]:
    return {"pointer": pointer, "location": "body", "type": type_, "message": message}


class SlaPolicyNotFound(NotFound):
    code, title = "sla_policy_not_found", "The brand has no SLA policy"


class InvalidBusinessHours(InvalidInput):
    code, title = "invalid_business_hours", "The opening hours cannot be used"

    def __init__(self, detail: str, problems: Sequence[tuple[str, str]]) -> None:
        super().__init__(
            detail, errors=[_error(pointer, self.code, message) for pointer, message in problems]
        )


class NoSlaTarget(InvalidInput):
    code, title = "sla_target_required", "An SLA policy sets at least one target"
