"""What the worker runs for connected accounts: the refresher, Meta's token check, the revoker
and the re-sealing after a key rotation."""

from __future__ import annotations

from collections.abc import Sequence

from beacon_shared.worker import Job, WorkerContext
from workspace.connections.meta_check import meta_check_jobs
from workspace.connections.refresh import refresh_jobs
from workspace.connections.revocation import revocation_jobs
from workspace.connections.rotation import rotation_jobs


def connection_jobs(ctx: WorkerContext) -> Sequence[Job]:
    """The refresher, the Meta token check, the revoker and the re-sealing job."""
    return [
        *refresh_jobs(ctx),
        *meta_check_jobs(ctx),
        *revocation_jobs(ctx),
        *rotation_jobs(ctx),
    ]
