"""The publisher API: `uvicorn --factory publisher.main:create_app`."""

from __future__ import annotations

from fastapi import FastAPI

from beacon_shared.app import create_service_app
from publisher.config import Settings
from publisher.posts.router import router as posts_router


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app; settings come from the environment unless given."""
    return create_service_app(
        settings or Settings(),
        title="Beacon Publisher",
        description="Schedules posts and publishes them on time through network connectors.",
        routers=[posts_router],
    )
