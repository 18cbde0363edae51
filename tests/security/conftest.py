"""The services' apps as the security tests build them: real settings on the test servers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi import FastAPI

from tests.service_apps import SERVICES


@pytest.fixture
def build_app(settings_for: Callable[..., Any]) -> Callable[[str], FastAPI]:
    """`build_app("ingest", **settings)`: the service's app on the test database and broker."""

    def build(name: str, **more: object) -> FastAPI:
        app = SERVICES[name]
        return app.create_app(settings_for(app.settings, **app.overrides, **more))

    return build
