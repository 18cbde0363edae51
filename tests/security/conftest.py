"""The services' apps as the security tests build them: real settings on the test servers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from cryptography.fernet import Fernet
from fastapi import FastAPI

from analytics.config import Settings as AnalyticsSettings
from analytics.main import create_app as analytics_app
from ingest.config import Settings as IngestSettings
from ingest.main import create_app as ingest_app
from moderation.config import Settings as ModerationSettings
from moderation.main import create_app as moderation_app
from publisher.config import Settings as PublisherSettings
from publisher.main import create_app as publisher_app
from workspace.config import Settings as WorkspaceSettings
from workspace.main import create_app as workspace_app

META_SECRET = "security-meta-secret"
X_SECRET = "security-x-secret"

SERVICES: dict[str, tuple[Callable[..., FastAPI], type, dict[str, object]]] = {
    "ingest": (
        ingest_app,
        IngestSettings,
        {
            "credentials_key": Fernet.generate_key().decode(),
            "meta_app_secret": META_SECRET,
            "meta_verify_token": "security-verify-token",
            "x_consumer_secret": X_SECRET,
            "poll_enabled": False,
        },
    ),
    "moderation": (moderation_app, ModerationSettings, {}),
    "publisher": (
        publisher_app,
        PublisherSettings,
        {"credentials_key": Fernet.generate_key().decode()},
    ),
    "analytics": (analytics_app, AnalyticsSettings, {}),
    "workspace": (workspace_app, WorkspaceSettings, {}),
}


@pytest.fixture
def build_app(settings_for: Callable[..., Any]) -> Callable[[str], FastAPI]:
    """`build_app("ingest", **settings)`: the service's app on the test database and broker."""

    def build(name: str, **more: object) -> FastAPI:
        factory, settings_cls, overrides = SERVICES[name]
        return factory(settings_for(settings_cls, **overrides, **more))

    return build
