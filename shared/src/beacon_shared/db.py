"""Database plumbing: one schema per service, one sessionmaker per process, callers own commits."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

import asyncpg
from fastapi import Depends, Request
from sqlalchemy import MetaData
from sqlalchemy import exc as sa_exc
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


# Server states in which no statement can run, whatever the statement: a connection failure
# (class 08), the server shutting down or starting up (57P01-57P03), no connection slot (53300).
_UNAVAILABLE_STATES = frozenset({"57P01", "57P02", "57P03", "53300"})


def database_unavailable(exc: BaseException) -> bool:
    """Whether `exc` says the database cannot be reached or used now, not that a statement or
    its data is wrong: the server is down, restarting, refusing connections, or dropped ours.

    Such failures pass once the server is back: callers wait and retry (consumers) or answer
    503 (APIs); they never count against the record or the request.
    """
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if _unavailable(current):
            return True
        current = current.__cause__ or current.__context__
    return False


def _unavailable(exc: BaseException) -> bool:
    if isinstance(exc, sa_exc.DBAPIError) and exc.connection_invalidated:
        return True
    # The pool had no connection to give within its timeout.
    if isinstance(exc, sa_exc.TimeoutError):
        return True
    if isinstance(exc, sa_exc.DBAPIError):
        return _unavailable(exc.orig) if isinstance(exc.orig, BaseException) else False
    if isinstance(exc, asyncpg.PostgresError):
        state = str(getattr(exc, "sqlstate", "") or "")
        return state.startswith("08") or state in _UNAVAILABLE_STATES
    if isinstance(exc, asyncpg.InterfaceError):  # "connection is closed", not a misuse
        return "closed" in str(exc)
    # A connection the server dropped while it sat in the pool: the driver's first statement on
    # it finds its protocol stuck mid-operation ("cannot switch to state ..."). Seen when
    # PostgreSQL shuts down; a new connection serves the retry.
    if isinstance(exc, asyncpg.InternalClientError):
        return True
    # Connecting failed below the driver (refused, no such socket, unreachable, timed out):
    # only when the driver or the pool raised it, not any other call of a request.
    return isinstance(exc, OSError | TimeoutError) and _raised_by_driver(exc)


def _raised_by_driver(exc: BaseException) -> bool:
    tb = exc.__traceback__
    while tb is not None:
        module = tb.tb_frame.f_globals.get("__name__", "")
        if isinstance(module, str) and module.split(".", 1)[0] in ("asyncpg", "sqlalchemy"):
            return True
        tb = tb.tb_next
    return False
