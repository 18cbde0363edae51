"""Fixtures of the deployment tests: the services from the code, the entry point's variables."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
# The helpers beside the tests (deploy_support, kustomize_subset, drain_worker) import by name.
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from deploy_support import ROOT, ServiceInfo, load_services  # noqa: E402


@pytest.fixture(scope="session")
def services() -> dict[str, ServiceInfo]:
    """Each service's settings class and worker spec, from the code."""
    return load_services()


@pytest.fixture(scope="session")
def entrypoint_env_names() -> set[str]:
    """Variables the image's entry point reads itself (documented in its header)."""
    text = (ROOT / "deploy" / "image" / "entrypoint.sh").read_text()
    # <SVC>_HTTP_PORT / <SVC>_WORKER_PORT are built from the prefix: they are Settings fields.
    return set(re.findall(r"\$\{([A-Z][A-Z0-9_]*):-", text))
