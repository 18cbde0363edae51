"""The stack's servers and one-shot steps: database, broker, migrations, the demo API key."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from cryptography.fernet import Fernet

from beacon_shared.auth.keys import issue_key
from beacon_shared.auth.members import add_member
from beacon_shared.db import create_engine, create_sessionmaker
from beacon_shared.embedded import EmbeddedBroker, EmbeddedPostgres, start_postgres
from beacon_shared.migrations import upgrade

DATABASE = "beacon"
DEMO_TENANT = "demo"
DEMO_USER = {"sub": "demo", "email": "demo@beacon.local", "name": "Demo"}


@dataclass
class Servers:
    """Where the services find PostgreSQL and the broker, and the embedded ones to stop."""

    database_url: str = ""
    kafka_bootstrap: str = ""
    postgres: EmbeddedPostgres | None = None
    broker: EmbeddedBroker | None = None

    def stop(self) -> None:
        """Stop the embedded broker, then the embedded PostgreSQL."""
        if self.broker is not None:
            self.broker.stop()
            self.broker = None
        if self.postgres is not None:
            self.postgres.stop()
            self.postgres = None


def start_database(servers: Servers, *, url: str | None, data_dir: Path) -> None:
    """Use `url`, or start an embedded PostgreSQL keeping its data in `data_dir`."""
    if url:
        servers.database_url = url
        return
    servers.postgres = start_postgres(data_dir, database=DATABASE)
    servers.database_url = servers.postgres.url


def start_broker(servers: Servers, *, bootstrap: str | None, log_path: Path) -> None:
    """Use `bootstrap`, or start the embedded broker on a free loopback port."""
    if bootstrap:
        servers.kafka_bootstrap = bootstrap
        return
    log_path.parent.mkdir(parents=True, exist_ok=True)
    servers.broker = EmbeddedBroker(log_path=log_path).start()
    servers.kafka_bootstrap = servers.broker.bootstrap


def alembic_inis(root: Path) -> list[Path]:
    """Every schema's Alembic config: the platform's `iam` first, then each service's."""
    return [root / "shared" / "alembic.ini", *sorted(root.glob("services/*/alembic.ini"))]


def migrate(inis: Sequence[Path], database_url: str) -> None:
    """Upgrade each schema to head with its own Alembic environment and version table."""
    for ini in inis:
        try:
            upgrade(ini, database_url)
        except Exception as exc:
            raise MigrationFailed(ini, exc) from exc


class MigrationFailed(RuntimeError):
    """A schema could not be migrated."""

    def __init__(self, ini: Path, cause: Exception) -> None:
        super().__init__(f"migrating {ini.parent.name} ({ini}) failed: {cause!r}")


def issue_demo_key(database_url: str) -> str:
    """A new all-scopes API key for the `demo` tenant (the plaintext exists only here)."""

    async def issue() -> str:
        engine = create_engine(database_url, pool_size=1, app_name="beacon-stack")
        try:
            async with create_sessionmaker(engine)() as session, session.begin():
                issued = await issue_key(
                    session, tenant_id=DEMO_TENANT, name="make up", scopes=("*",)
                )
            return issued.key
        finally:
            await engine.dispose()

    return asyncio.run(issue())


def add_demo_member(database_url: str, issuer: str) -> None:
    """Make the local issuer's demo user an owner of the `demo` tenant (created with its key)."""

    async def add() -> None:
        engine = create_engine(database_url, pool_size=1, app_name="beacon-stack")
        try:
            async with create_sessionmaker(engine)() as session, session.begin():
                await add_member(
                    session,
                    tenant_id=DEMO_TENANT,
                    issuer=issuer,
                    subject=DEMO_USER["sub"],
                    role="owner",
                    email=DEMO_USER["email"],
                    name=DEMO_USER["name"],
                )
        finally:
            await engine.dispose()

    asyncio.run(add())


# The keys that seal network credentials at rest and on the wire (docs/workspace.md): made once
# per data directory, so accounts connected locally stay readable across restarts.
CREDENTIAL_KEY_SETTINGS = (
    "INGEST_CREDENTIALS_KEY",
    "PUBLISHER_CREDENTIALS_KEY",
    "INBOX_CREDENTIALS_KEY",
    "WORKSPACE_CREDENTIALS_KEYS",
    "NETWORK_CREDENTIALS_KEYS",
)


def local_credential_keys(path: Path) -> dict[str, str]:
    """Each credentials setting's Fernet key, from `path` (made with new keys the first time,
    readable by its owner only)."""
    if not path.exists():
        keys = {name: Fernet.generate_key().decode() for name in CREDENTIAL_KEY_SETTINGS}
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600)
        path.write_text(json.dumps(keys))
    stored: dict[str, str] = json.loads(path.read_text())
    return stored
