"""Which failures say the database is away (retry, 503) rather than that the work is wrong."""

from __future__ import annotations

import asyncpg
from sqlalchemy import exc as sa_exc

from beacon_shared.db import database_unavailable


def wrapped(orig: Exception) -> sa_exc.DBAPIError:
    """As SQLAlchemy's asyncpg dialect raises a driver error (a plain DBAPIError)."""
    return sa_exc.DBAPIError("SELECT 1", {}, orig)


class TestDatabaseUnavailable:
    def test_a_server_shutting_down_or_starting_up_is_unavailable(self):
        for error in (
            asyncpg.CannotConnectNowError("the database system is shutting down"),
            asyncpg.AdminShutdownError("terminating connection due to administrator command"),
            asyncpg.CrashShutdownError("terminating connection because of crash"),
            asyncpg.TooManyConnectionsError("sorry, too many clients already"),
        ):
            assert database_unavailable(wrapped(error)), error
            assert database_unavailable(error), error

    def test_a_connection_lost_mid_statement_is_unavailable(self):
        lost = asyncpg.ConnectionDoesNotExistError("connection was closed in the middle")
        assert database_unavailable(wrapped(lost))
        assert database_unavailable(asyncpg.InterfaceError("connection is closed"))
        # The first statement on a connection the server dropped while it was idle.
        stuck = asyncpg.InternalClientError("cannot switch to state 12; another operation (2)")
        assert database_unavailable(stuck)

    def test_an_invalidated_connection_and_an_empty_pool_are_unavailable(self):
        invalidated = sa_exc.DBAPIError(
            "SELECT 1", {}, Exception("gone"), connection_invalidated=True
        )
        assert database_unavailable(invalidated)
        assert database_unavailable(sa_exc.TimeoutError("QueuePool limit reached"))

    def test_a_cause_further_down_the_chain_counts(self):
        outer = RuntimeError("group write failed")
        outer.__cause__ = asyncpg.CannotConnectNowError("the database system is starting up")

        assert database_unavailable(outer)

    def test_a_statement_or_data_error_is_not(self):
        assert not database_unavailable(wrapped(asyncpg.UniqueViolationError("duplicate key")))
        assert not database_unavailable(wrapped(asyncpg.DivisionByZeroError("division by zero")))
        assert not database_unavailable(asyncpg.InterfaceError("another operation is in progress"))
        assert not database_unavailable(ValueError("bad input"))

    def test_an_os_error_raised_outside_the_driver_is_not(self):
        # Refused by a network a handler called, say; the driver's own are in test_app.
        assert not database_unavailable(ConnectionRefusedError(111, "Connect call failed"))
