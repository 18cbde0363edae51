"""The analytics API: `uvicorn --factory analytics.main:create_app`."""

from __future__ import annotations

from fastapi import FastAPI

from analytics.config import Settings
from analytics.counters.router import router as counters_router
from beacon_shared.app import create_service_app


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app; settings come from the environment unless given."""
    return create_service_app(
        settings or Settings(),
        title="Beacon Analytics",
        description="Counts what happens across Beacon and serves the counts as time series.",
        routers=[counters_router],
    )
