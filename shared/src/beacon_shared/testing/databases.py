"""Databases as a deployment had them, for the tests of migrations."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from beacon_shared.migrations import upgrade


@asynccontextmanager
async def database_at(server_url: str, revisions: Sequence[tuple[Path, str]]) -> AsyncIterator[str]:
    """The URL of a new database on the server, each Alembic environment (`alembic.ini`)
    upgraded to its revision in turn; dropped afterwards."""
    name = f"migrating_{uuid.uuid4().hex[:8]}"
    admin = create_async_engine(server_url, isolation_level="AUTOCOMMIT")
    async with admin.connect() as conn:
        await conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        url = make_url(server_url).set(database=name).render_as_string(hide_password=False)
        for ini, revision in revisions:
            await asyncio.to_thread(upgrade, ini, url, revision)
        yield url
    finally:
        async with admin.connect() as conn:
            await conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        await admin.dispose()
