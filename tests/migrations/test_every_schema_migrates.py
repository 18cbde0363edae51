"""Every schema's Alembic history upgrades, matches its models, downgrades and upgrades again."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from beacon_shared.migrations import alembic_config

ROOT = Path(__file__).resolve().parents[2]
PLATFORM = ROOT / "shared" / "alembic.ini"
INIS = [PLATFORM, *sorted(ROOT.glob("services/*/alembic.ini"))]

pytestmark = pytest.mark.integration


@pytest.fixture
async def fresh_database_url(database_server_url: str):
    """A new, empty database on the test server for each schema, dropped afterwards: the cases
    may run on different test workers, in any order."""
    name = f"migrations_{uuid.uuid4().hex[:8]}"
    admin = create_async_engine(database_server_url, isolation_level="AUTOCOMMIT")
    async with admin.connect() as conn:
        await conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield make_url(database_server_url).set(database=name).render_as_string(hide_password=False)
    async with admin.connect() as conn:
        await conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    await admin.dispose()


def _round_trip(ini: Path, url: str) -> None:
    # Every service's tables refer to the platform's (iam): it comes first.
    command.upgrade(alembic_config(PLATFORM, url), "head")
    config = alembic_config(ini, url)
    command.upgrade(config, "head")
    command.check(config)  # raises when the models and the migrations disagree
    command.downgrade(config, "base")
    command.upgrade(config, "head")


@pytest.mark.parametrize("ini", INIS, ids=[ini.parent.name for ini in INIS])
async def test_the_schema_round_trips_and_matches_its_models(ini: Path, fresh_database_url: str):
    await asyncio.to_thread(_round_trip, ini, fresh_database_url)
