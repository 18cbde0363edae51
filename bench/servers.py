"""The servers a benchmark runs against.

`DATABASE_URL` / `KAFKA_BOOTSTRAP` when set; otherwise an ephemeral embedded PostgreSQL and
broker, stopped when the benchmark ends.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from beacon_shared.embedded import EmbeddedBroker, start_postgres
from beacon_shared.migrations import upgrade

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Servers:
    database_url: str
    bootstrap: str
    # The embedded broker rejects idempotent producers; Apache Kafka takes them.
    idempotence: bool


@contextlib.contextmanager
def servers(*, migrate: Sequence[Path] = ()) -> Iterator[Servers]:
    """The servers, with the schemas of the `migrate` Alembic files upgraded."""
    pg = broker = None
    database_url, bootstrap = os.environ.get("DATABASE_URL"), os.environ.get("KAFKA_BOOTSTRAP")
    try:
        if not database_url:
            data_dir = Path(tempfile.mkdtemp(prefix="beacon-bench-")) / "pg"
            pg = start_postgres(data_dir, ephemeral=True)
            database_url = pg.url
        if not bootstrap:
            broker = EmbeddedBroker().start()
            bootstrap = broker.bootstrap
        for ini in migrate:
            upgrade(ini, database_url)
        yield Servers(database_url, bootstrap, idempotence=broker is None)
    finally:
        if broker:
            broker.stop()
        if pg:
            pg.stop()


def code_version() -> str:
    """The commit measured, marked when the code differs from it (results aside)."""
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, check=True
        ).stdout.decode()
        dirty = subprocess.run(
            ["git", "diff", "--quiet", "HEAD", "--", ".", ":!bench/results"], cwd=ROOT
        ).returncode
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return f"{commit.strip()} with uncommitted changes" if dirty else commit.strip()
