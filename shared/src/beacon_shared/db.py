"""Database plumbing: one schema per service, one sessionmaker per process, callers own commits."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import MetaData
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def make_metadata(schema: str) -> MetaData:
    """Metadata bound to a service's own schema, with the shared constraint names."""
    return MetaData(schema=schema, naming_convention=NAMING_CONVENTION)


def create_engine(
    database_url: str, *, pool_size: int = 10, app_name: str = "beacon"
) -> AsyncEngine:
    """An asyncpg engine; `app_name` shows in pg_stat_activity.

    No ping on checkout: it costs three round trips per transaction, and SQLAlchemy already
    invalidates the whole pool at the first disconnect error, so after a database restart only
    the statements in flight fail (callers retry infrastructure errors) and the next reconnect.
    """
    return create_async_engine(
        database_url,
        pool_size=pool_size,
        max_overflow=pool_size,
        connect_args={"server_settings": {"application_name": app_name}},
    )


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """The process's one sessionmaker; objects stay usable after commit."""
    return async_sessionmaker(engine, expire_on_commit=False)


async def _request_session(request: Request) -> AsyncIterator[AsyncSession]:
    sessionmaker: async_sessionmaker[AsyncSession] = request.app.state.sessionmaker
    async with sessionmaker() as session, session.begin():
        yield session


# scope="function" commits before the response is sent, so a failed commit is a failed request.
DbSession = Annotated[AsyncSession, Depends(_request_session, scope="function")]
