"""The workspace API: `uvicorn --factory workspace.main:create_app`."""

from __future__ import annotations

from fastapi import FastAPI

from beacon_shared.app import create_service_app
from workspace.audit.router import router as audit_router
from workspace.brands.router import router as brands_router
from workspace.config import Settings
from workspace.connections.router import router as connections_router
from workspace.erasures.router import router as erasures_router
from workspace.invitations.router import router as invitations_router
from workspace.keys.router import router as keys_router
from workspace.people.router import router as people_router


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app; settings come from the environment unless given."""
    return create_service_app(
        settings or Settings(),
        title="Beacon Workspace",
        description="An organization's brands, people, invitations, API keys and personal tokens, "
        "and erasure requests.",
        routers=[
            people_router,
            invitations_router,
            keys_router,
            brands_router,
            connections_router,
            audit_router,
            erasures_router,
        ],
    )
