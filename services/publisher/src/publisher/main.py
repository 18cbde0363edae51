"""The publisher API: `uvicorn --factory publisher.main:create_app`."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from fastapi import FastAPI

from beacon_shared.app import create_service_app
from publisher.accounts.router import router as accounts_router
from publisher.authoring.router import calendar_router
from publisher.authoring.router import router as posts_router
from publisher.brands.router import router as brands_router
from publisher.campaigns.router import router as campaigns_router
from publisher.config import Settings
from publisher.connectors.registry import BUILT_IN_NETWORKS
from publisher.webhooks.router import router as webhooks_router


@contextlib.asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    app.state.networks = BUILT_IN_NETWORKS
    yield


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app; settings come from the environment unless given."""
    return create_service_app(
        settings or Settings(),
        title="Beacon Publisher",
        description="Drafts, reviews, schedules and publishes posts on every network, on time "
        "and never twice.",
        routers=[
            posts_router,
            calendar_router,
            accounts_router,
            brands_router,
            campaigns_router,
            webhooks_router,
        ],
        lifespan=_lifespan,
    )
