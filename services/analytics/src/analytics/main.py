"""The analytics API: `uvicorn --factory analytics.main:create_app`."""

from __future__ import annotations

from fastapi import FastAPI

from analytics.alerts.router import router as alerts_router
from analytics.config import Settings
from analytics.listening.router import accounts_router as best_times_router
from analytics.listening.router import router as listening_router
from analytics.reports.router import router as reports_router
from analytics.roi.router import router as roi_router
from analytics.rollups.router import router as rollups_router
from analytics.sla.router import router as sla_router
from beacon_shared.app import create_service_app


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app; settings come from the environment unless given."""
    return create_service_app(
        settings or Settings(),
        title="Beacon Analytics",
        description="Aggregates what happens across Beacon into rollups served to dashboards.",
        routers=[
            rollups_router,
            roi_router,
            alerts_router,
            listening_router,
            best_times_router,
            reports_router,
            sla_router,
        ],
    )
