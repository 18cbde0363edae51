"""Every service's app factory and settings, as the cross-service tests build them on the test
servers: one table, so that a new service is fuzzed and probed everywhere at once."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from cryptography.fernet import Fernet
from fastapi import FastAPI

from analytics.config import Settings as AnalyticsSettings
from analytics.main import create_app as analytics_app
from inbox.config import Settings as InboxSettings
from inbox.main import create_app as inbox_app
from ingest.config import Settings as IngestSettings
from ingest.main import create_app as ingest_app
from moderation.config import Settings as ModerationSettings
from moderation.main import create_app as moderation_app
from publisher.config import Settings as PublisherSettings
from publisher.main import create_app as publisher_app
from workspace.config import Settings as WorkspaceSettings
from workspace.main import create_app as workspace_app

META_SECRET = "tests-meta-secret"
X_SECRET = "tests-x-secret"


@dataclass(frozen=True)
class ServiceApp:
    """How to build one service's app: its factory, its settings and what the tests set."""

    create_app: Callable[..., FastAPI]
    settings: type
    overrides: dict[str, object] = field(default_factory=dict)


SERVICES: dict[str, ServiceApp] = {
    "ingest": ServiceApp(
        ingest_app,
        IngestSettings,
        {
            "credentials_key": Fernet.generate_key().decode(),
            "meta_app_secret": META_SECRET,
            "meta_verify_token": "tests-verify-token",
            "x_consumer_secret": X_SECRET,
            "poll_enabled": False,
        },
    ),
    "moderation": ServiceApp(moderation_app, ModerationSettings),
    "publisher": ServiceApp(
        publisher_app, PublisherSettings, {"credentials_key": Fernet.generate_key().decode()}
    ),
    "analytics": ServiceApp(analytics_app, AnalyticsSettings),
    "workspace": ServiceApp(workspace_app, WorkspaceSettings),
    "inbox": ServiceApp(
        inbox_app,
        InboxSettings,
        # A stream ends at once, so a request for it is answered like any other.
        {"credentials_key": Fernet.generate_key().decode(), "stream_max_seconds": 0.5},
    ),
}
