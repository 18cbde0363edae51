"""The inbox API: `uvicorn --factory inbox.main:create_app`."""

from __future__ import annotations

from fastapi import FastAPI

from beacon_shared.app import create_service_app
from inbox.config import Settings
from inbox.contacts.router import router as contacts_router
from inbox.conversations.router import router as conversations_router
from inbox.conversations.team_router import router as teams_router
from inbox.replies.router import router as replies_router
from inbox.sla.router import router as sla_router
from inbox.stream.router import closing_hub
from inbox.stream.router import router as stream_router
from inbox.webhooks.router import router as webhooks_router


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app; settings come from the environment unless given."""
    return create_service_app(
        settings or Settings(),
        title="Beacon Inbox",
        description="Comment threads and private conversations as work items: status, "
        "assignment to members and teams, priority, labels, private notes, bulk changes and "
        "full-text search, contacts, SLA policies and due times.",
        routers=[
            conversations_router,
            teams_router,
            contacts_router,
            sla_router,
            replies_router,
            webhooks_router,
            stream_router,
        ],
        lifespan=closing_hub,
    )
