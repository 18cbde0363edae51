"""Workspace fixtures: its app on the test servers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi import FastAPI

from workspace.config import Settings
from workspace.main import create_app


@pytest.fixture
def workspace_app(settings_for: Callable[..., Any]) -> Callable[..., FastAPI]:
    """`workspace_app(**settings)`: the workspace API on the test database and broker."""
    return lambda **more: create_app(settings_for(Settings, **more))
