"""The workspace API: `uvicorn --factory workspace.main:create_app`."""

from __future__ import annotations

from fastapi import FastAPI

from beacon_shared.app import create_service_app
from workspace.config import Settings


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app; settings come from the environment unless given."""
    return create_service_app(
        settings or Settings(),
        title="Beacon Workspace",
        description="An organization's people, invitations, API keys and personal tokens.",
        routers=[],
    )
