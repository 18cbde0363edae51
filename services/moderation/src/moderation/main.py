"""The moderation API: `uvicorn --factory moderation.main:create_app`."""

from __future__ import annotations

from fastapi import FastAPI

from beacon_shared.app import create_service_app
from moderation.config import Settings
from moderation.decisions.router import router as decisions_router


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app; settings come from the environment unless given."""
    return create_service_app(
        settings or Settings(),
        title="Beacon Moderation",
        description="Decides what happens to every received comment and keeps the decisions.",
        routers=[decisions_router],
    )
