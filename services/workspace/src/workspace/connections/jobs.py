"""What the worker runs for connected accounts: the refresher, Meta's token check, the revoker
and the re-sealing after a key rotation, each a pass every so often through the egress guard."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence

import httpx

from beacon_shared.reseal import reseal_job
from beacon_shared.worker import Job, WorkerContext, every
from workspace.config import Settings
from workspace.connections.apps import http_client
from workspace.connections.meta_check import MetaChecker
from workspace.connections.refresh import Refresher
from workspace.connections.revocation import Revoker
from workspace.connections.rotation import sealed

Pass = Callable[[], Awaitable[object]]


def connection_jobs(ctx: WorkerContext) -> Sequence[Job]:
    """The refresher, the Meta token check, the revoker and the re-sealing job."""
    settings = ctx.settings
    if not isinstance(settings, Settings):
        raise TypeError("the workspace worker needs workspace.config.Settings")
    sessions = ctx.sessionmaker
    return [
        _calling_networks(
            settings,
            lambda http: Refresher(sessions, settings, http).tick,
            seconds=settings.refresh_poll_seconds,
            name="refresh_tokens",
        ),
        _calling_networks(
            settings,
            lambda http: MetaChecker(sessions, settings, http).check_due,
            seconds=settings.meta_check_poll_seconds,
            name="check_meta_tokens",
        ),
        _calling_networks(
            settings,
            lambda http: Revoker(sessions, settings, http).revoke_due,
            seconds=settings.revocation_poll_seconds,
            name="revoke_tokens",
        ),
        reseal_job(sessions, sealed(settings)),
    ]


def _calling_networks(
    settings: Settings, one_pass: Callable[[httpx.AsyncClient], Pass], *, seconds: float, name: str
) -> Job:
    """A job making `one_pass` every `seconds` with one guarded HTTP client for its lifetime."""

    async def run(stop: asyncio.Event) -> None:
        async with http_client(settings) as http:
            await every(seconds, one_pass(http), name=name)(stop)

    return run
