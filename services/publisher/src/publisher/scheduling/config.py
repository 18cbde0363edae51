"""How the scheduler paces and bounds its work, from the publisher's settings."""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass, field
from datetime import timedelta

from publisher.config import Settings
from publisher.scheduling.preparation import MediaLimits


def default_worker_id() -> str:
    """host:pid, what shows in `claimed_by`."""
    return f"{socket.gethostname()}:{os.getpid()}"


@dataclass(frozen=True)
class SchedulerConfig:
    """How the scheduler paces and bounds its work."""

    worker_id: str
    poll_seconds: float = 0.25
    batch_size: int = 50
    lease: timedelta = timedelta(seconds=60)
    publish_timeout: float = 30.0
    max_attempts: int = 5
    retry_backoff: timedelta = timedelta(seconds=5)
    # An unknown outcome is first looked for this long after it happened (networks list a new
    # post within seconds), and keeps being looked for until `reconcile_settle` has passed; a
    # post still not listed then was not published and is sent again.
    reconcile_delay: timedelta = timedelta(seconds=15)
    reconcile_settle: timedelta = timedelta(minutes=2)
    # How long a refused workspace account waits for the registry's refresh.
    refresh_wait: timedelta = timedelta(minutes=2)
    media: MediaLimits = field(default_factory=MediaLimits)
    # Targets being published at once by this worker: a batch is claimed whenever there is room,
    # without waiting for the slowest call of the previous one.
    max_in_flight: int = 200
    # How often lost claims are swept, unknown outcomes reconciled and the lag measured.
    housekeeping_seconds: float = 1.0

    @classmethod
    def from_settings(cls, settings: Settings) -> SchedulerConfig:
        """From the publisher's settings."""
        return cls(
            worker_id=settings.worker_id or default_worker_id(),
            poll_seconds=settings.scheduler_poll_seconds,
            batch_size=settings.scheduler_batch_size,
            lease=timedelta(seconds=settings.scheduler_lease_seconds),
            publish_timeout=settings.publish_timeout_seconds,
            max_attempts=settings.publish_max_attempts,
            retry_backoff=timedelta(seconds=settings.publish_retry_backoff_seconds),
            reconcile_delay=timedelta(seconds=settings.reconcile_delay_seconds),
            reconcile_settle=timedelta(seconds=settings.reconcile_settle_seconds),
            refresh_wait=timedelta(seconds=settings.credentials_refresh_wait_seconds),
            media=MediaLimits(max_bytes=settings.media_max_bytes),
            max_in_flight=settings.scheduler_max_in_flight,
        )
