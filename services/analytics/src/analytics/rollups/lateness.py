"""When an event counts: clock skew and lateness, judged against the event's receipt.

The receipt is the envelope's time (when the producing service stored the event), not the
moment analytics reads it: a replay or a lagging consumer places every event exactly where a
timely one would have, so totals never depend on when they were computed.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from analytics.rollups import metrics
from analytics.rollups.buckets import as_utc
from analytics.rollups.facts import Fact

# A source clock ahead of ours by more than this is an error: the event counts at its receipt.
FUTURE_TOLERANCE = timedelta(minutes=5)
# Events that happened longer than this before their receipt change no bucket: closed periods
# (sent reports, alert baselines) stay as they were; they are counted in `events.late` instead.
LATENESS_HORIZON = timedelta(days=30)


class Placement:
    """Places events in time, counting the clamped and the late ones as facts of their own."""

    def __init__(self, horizon: timedelta = LATENESS_HORIZON) -> None:
        self.horizon = horizon
        self.policy_facts: list[Fact] = []

    def place(
        self, tenant_id: str, brand_id: str, at: datetime, received: datetime
    ) -> datetime | None:
        """The instant to count an event at, or None when it is too late to count."""
        at, received = as_utc(at), as_utc(received)
        if at - received > FUTURE_TOLERANCE:
            self.policy_facts.append(Fact(tenant_id, brand_id, received, metrics.EVENTS_CLAMPED))
            return received
        if received - at > self.horizon:
            self.policy_facts.append(Fact(tenant_id, brand_id, received, metrics.EVENTS_LATE))
            return None
        return at
