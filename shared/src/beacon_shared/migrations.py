"""Alembic plumbing: each schema keeps its own version table and migrates only itself."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

from alembic import command, context
from alembic.config import Config
from sqlalchemy import MetaData, pool, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine


def alembic_config(ini_path: Path, database_url: str) -> Config:
    """The Alembic config of one schema, pointed at `database_url`."""
    config = Config(str(ini_path))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def upgrade(ini_path: Path, database_url: str, revision: str = "head") -> None:
    """`alembic upgrade` for one schema (blocking; call from a thread inside an event loop)."""
    command.upgrade(alembic_config(ini_path, database_url), revision)


def downgrade(ini_path: Path, database_url: str, revision: str = "base") -> None:
    """`alembic downgrade` for one schema."""
    command.downgrade(alembic_config(ini_path, database_url), revision)


def run_env(schema: str, metadata: MetaData) -> None:
    """The body of a service's `migrations/env.py`."""
    url = context.config.get_main_option("sqlalchemy.url") or os.environ.get("DATABASE_URL")
    if not url:
        raise RuntimeError("sqlalchemy.url is not set: pass DATABASE_URL to the migrate command")

    def configure_and_run(connection: Connection) -> None:
        connection.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
        context.configure(
            connection=connection,
            target_metadata=metadata,
            version_table_schema=schema,
            include_schemas=True,
            include_name=lambda name, type_, _parent: type_ != "schema" or name == schema,
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()

    async def run() -> None:
        engine = create_async_engine(url, poolclass=pool.NullPool)
        async with engine.begin() as conn:
            await conn.run_sync(configure_and_run)
        await engine.dispose()

    if context.is_offline_mode():
        raise RuntimeError("offline (--sql) migrations are not supported")
    asyncio.run(run())
