"""Alembic plumbing: each schema keeps its own version table and migrates only itself."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

from alembic import command, context
from alembic.config import Config
from sqlalchemy import MetaData, column, pool, select, table, text, union
from sqlalchemy.dialects.postgresql import insert
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


def register_brand_ids(connection: Connection, schema: str, tables: list[str]) -> None:
    """Register in `iam.brand` (and `iam.tenant`) every (tenant_id, brand_id) the schema's
    `tables` hold: a migration's step, so that brand ids used before the brand registry existed
    keep working once every service refuses unknown brands."""
    used = union(
        *(
            # '' stands for "no brand" where a column cannot be null (analytics' rollups).
            select(held.c.tenant_id, held.c.brand_id).where(
                held.c.brand_id.is_not(None), held.c.brand_id != ""
            )
            for held in (
                table(name, column("tenant_id"), column("brand_id"), schema=schema)
                for name in tables
            )
        )
    ).subquery("used")
    iam_tenant = table("tenant", column("id"), column("name"), schema="iam")
    iam_brand = table("brand", column("tenant_id"), column("id"), schema="iam")
    connection.execute(
        insert(iam_tenant)
        .from_select(["id", "name"], select(used.c.tenant_id, used.c.tenant_id).distinct())
        .on_conflict_do_nothing()
    )
    connection.execute(
        insert(iam_brand)
        .from_select(["tenant_id", "id"], select(used.c.tenant_id, used.c.brand_id))
        .on_conflict_do_nothing()
    )
