"""The ingest API: `uvicorn --factory ingest.main:create_app`."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from fastapi import FastAPI

from beacon_shared.app import create_service_app
from ingest.accounts.directory import AccountDirectory
from ingest.accounts.router import router as accounts_router
from ingest.competitors.router import router as competitors_router
from ingest.config import Settings
from ingest.interactions.group_commit import GroupCommitter
from ingest.interactions.router import router as interactions_router
from ingest.webhooks.router import router as webhooks_router


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app; settings come from the environment unless given."""
    settings = settings or Settings()

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        committer = GroupCommitter(
            app.state.engine,
            window_seconds=settings.group_commit_window_ms / 1000,
            max_items=settings.group_commit_max_items,
            max_writes=settings.group_commit_max_writes,
        )
        app.state.committer = committer
        app.state.accounts = AccountDirectory(app.state.sessionmaker)
        yield
        await committer.close()

    return create_service_app(
        settings,
        lifespan=lifespan,
        title="Beacon Ingest",
        description="Receives social interactions, stores each once and emits its event.",
        # Webhooks first: routes are matched in order, and they carry a viral spike.
        routers=[webhooks_router, interactions_router, accounts_router, competitors_router],
        # Networks retry what is refused, so webhooks acknowledge and clean what they receive.
        raw_body_paths=[webhooks_router.prefix + "/"],
    )
