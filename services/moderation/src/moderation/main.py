"""The moderation API: `uvicorn --factory moderation.main:create_app`."""

from __future__ import annotations

from fastapi import FastAPI

from beacon_shared.app import create_service_app
from moderation.actions.router import router as actions_router
from moderation.alerts.router import router as alerts_router
from moderation.audit.router import router as audit_router
from moderation.config import Settings
from moderation.decisions.router import router as decisions_router
from moderation.learning.router import router as learning_router
from moderation.replies.router import router as replies_router
from moderation.review.router import router as review_router
from moderation.rules.router import router as rules_router


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app; settings come from the environment unless given."""
    return create_service_app(
        settings or Settings(),
        title="Beacon Moderation",
        description="Decides what happens to every received comment and keeps the decisions.",
        routers=[
            decisions_router,
            review_router,
            actions_router,
            rules_router,
            learning_router,
            replies_router,
            audit_router,
            alerts_router,
        ],
    )
