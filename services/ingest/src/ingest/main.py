"""The ingest API: `uvicorn --factory ingest.main:create_app`."""

from __future__ import annotations

from fastapi import FastAPI

from beacon_shared.app import create_service_app
from ingest.config import Settings
from ingest.interactions.router import router as interactions_router


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app; settings come from the environment unless given."""
    return create_service_app(
        settings or Settings(),
        title="Beacon Ingest",
        description="Receives social interactions, stores each once and emits its event.",
        routers=[interactions_router],
    )
