"""What the worker runs for connected accounts: the refresher and the re-sealing after a key
rotation."""

from __future__ import annotations

from collections.abc import Sequence

from beacon_shared.worker import Job, WorkerContext
from workspace.connections.refresh import refresh_jobs
from workspace.connections.rotation import rotation_jobs


def connection_jobs(ctx: WorkerContext) -> Sequence[Job]:
    """The refresher and the re-sealing job."""
    return [*refresh_jobs(ctx), *rotation_jobs(ctx)]
