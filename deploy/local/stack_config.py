"""The local stack's configuration, read from the environment once: which services run on which
ports, where the data lives, which servers to use and how long to wait (see stack.py)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HOST = "127.0.0.1"


@dataclass(frozen=True)
class Service:
    """A service and the ports of its two processes."""

    name: str
    api_port: int
    worker_port: int

    @property
    def api_url(self) -> str:
        return f"http://{HOST}:{self.api_port}"

    @property
    def worker_url(self) -> str:
        return f"http://{HOST}:{self.worker_port}"


DEFAULT_SERVICES = (
    Service("ingest", 8001, 9001),
    Service("moderation", 8002, 9002),
    Service("publisher", 8003, 9003),
    Service("analytics", 8004, 9004),
    Service("workspace", 8005, 9005),
    Service("inbox", 8006, 9006),
)


class StackError(RuntimeError):
    """The stack cannot start; the message says why."""


@dataclass(frozen=True)
class StackConfig:
    """The runner's configuration, read from the environment once."""

    data_dir: Path
    services: tuple[Service, ...]
    database_url: str | None
    kafka_bootstrap: str | None
    ready_timeout: float
    stop_grace: float
    # The deployment's OpenID Connect issuer; None: the local one, on `oidc_port`.
    oidc_issuer: str | None
    oidc_port: int

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> StackConfig:
        """Defaults for a laptop; every port moves by BEACON_PORT_OFFSET unless set explicitly."""
        offset = int(env.get("BEACON_PORT_OFFSET", "0"))
        wanted = [s.strip() for s in env.get("BEACON_SERVICES", "").split(",") if s.strip()]
        known = {s.name for s in DEFAULT_SERVICES}
        if unknown := sorted(set(wanted) - known):
            raise StackError(f"unknown service(s) in BEACON_SERVICES: {', '.join(unknown)}")

        def port(service: str, kind: str, default: int) -> int:
            explicit = env.get(f"{service.upper()}_{kind}_PORT")
            return int(explicit) if explicit else default + offset

        services = tuple(
            Service(s.name, port(s.name, "HTTP", s.api_port), port(s.name, "WORKER", s.worker_port))
            for s in DEFAULT_SERVICES
            if not wanted or s.name in wanted
        )
        return cls(
            data_dir=Path(env.get("BEACON_DATA_DIR") or ROOT / ".data").resolve(),
            services=services,
            database_url=env.get("DATABASE_URL") or None,
            kafka_bootstrap=env.get("KAFKA_BOOTSTRAP") or None,
            ready_timeout=float(env.get("BEACON_READY_TIMEOUT", "120")),
            stop_grace=float(env.get("BEACON_STOP_GRACE", "10")),
            oidc_issuer=env.get("OIDC_ISSUER") or None,
            oidc_port=int(env.get("BEACON_OIDC_PORT") or 8010 + offset),
        )

    @property
    def local_issuer(self) -> str:
        """The local issuer's URL."""
        return f"http://{HOST}:{self.oidc_port}"
