"""What the deployment tests know about the repository and, from the code, about each service."""

from __future__ import annotations

import importlib
import re
from dataclasses import dataclass
from pathlib import Path

from pydantic import AliasChoices
from pydantic_settings import BaseSettings

from beacon_shared.worker import WorkerSpec

ROOT = Path(__file__).resolve().parents[2]
SERVICE_NAMES = ("ingest", "moderation", "publisher", "analytics", "workspace", "inbox")


@dataclass(frozen=True)
class ServiceInfo:
    """What the code says about one service: its settings class and its worker."""

    name: str
    settings_cls: type[BaseSettings]
    worker: WorkerSpec

    @property
    def http_port(self) -> int:
        return int(self.settings_cls.model_fields["http_port"].default)

    @property
    def worker_port(self) -> int:
        return int(self.settings_cls.model_fields["worker_port"].default)

    @property
    def env_names(self) -> set[str]:
        """Every environment variable the settings class reads."""
        return settings_env_names(self.settings_cls)


def settings_env_names(settings_cls: type[BaseSettings]) -> set[str]:
    """The variables a settings class reads: aliases as given, other fields with the prefix."""
    prefix = str(settings_cls.model_config.get("env_prefix", "")).upper()
    names = set()
    for name, field in settings_cls.model_fields.items():
        alias = field.validation_alias
        if isinstance(alias, AliasChoices):
            names.update(str(choice).upper() for choice in alias.choices)
        elif isinstance(alias, str):
            names.add(alias.upper())
        else:
            names.add(f"{prefix}{name.upper()}")
    return names


def load_services() -> dict[str, ServiceInfo]:
    """Each service's settings class and worker spec, from the code."""
    found = {}
    for name in SERVICE_NAMES:
        config = importlib.import_module(f"{name}.config")
        worker = importlib.import_module(f"{name}.worker")
        found[name] = ServiceInfo(name, config.Settings, worker.spec())
    return found


def documented_variables() -> set[str]:
    """Variables the README's Configuration and Deployment sections describe (`<SVC>` expanded)."""
    readme = (ROOT / "README.md").read_text()
    sections = [
        readme[readme.index("## Configuration") : readme.index("## API keys")],
        readme[readme.index("## Deployment") : readme.index("## Development")],
    ]
    names = set()
    for name in re.findall(r"`(<SVC>_[A-Z0-9_]+|[A-Z][A-Z0-9_]+)`", "\n".join(sections)):
        if name.startswith("<SVC>"):
            names.update(name.replace("<SVC>", svc.upper()) for svc in SERVICE_NAMES)
        else:
            names.add(name)
    return names
