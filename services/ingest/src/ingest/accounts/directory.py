"""Cached account lookups for the receive path, each on a short session of its own."""

from __future__ import annotations

import asyncio
import time

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from beacon_shared.contracts.common import Network
from ingest.accounts import service
from ingest.accounts.schemas import ResolvedAccount


class AccountDirectory:
    """Resolves network accounts, remembering found ones for `ttl_seconds`.

    A viral post sends thousands of deliveries for one page: they share one lookup. Misses are
    never cached, so an account connected a moment ago receives at once; a pause or a
    disconnection applies within `ttl_seconds`. The lookup's connection goes back to the pool
    before the caller goes on, so no request holds one while it waits for its group commit.
    """

    def __init__(
        self, sessionmaker: async_sessionmaker[AsyncSession], *, ttl_seconds: float = 5.0
    ) -> None:
        self.sessionmaker = sessionmaker
        self.ttl_seconds = ttl_seconds
        self._found: dict[tuple[Network, str], tuple[float, ResolvedAccount]] = {}
        self._lookups: dict[tuple[Network, str], asyncio.Task[ResolvedAccount | None]] = {}

    async def resolve(
        self, *, network: Network, external_account_id: str
    ) -> ResolvedAccount | None:
        """The account, or None when nobody connected it."""
        key = (network, external_account_id)
        cached = self._found.get(key)
        if cached is not None and cached[0] > time.monotonic():
            return cached[1]
        # One lookup per account at a time: when an entry expires under a spike, the deliveries
        # arriving meanwhile wait for it instead of each taking a connection for the same row.
        lookup = self._lookups.get(key)
        if lookup is None:
            lookup = asyncio.create_task(self._lookup(key))
            self._lookups[key] = lookup
            lookup.add_done_callback(lambda _: self._lookups.pop(key, None))
        # Shielded: a caller that goes away must not cancel the others' lookup.
        return await asyncio.shield(lookup)

    async def _lookup(self, key: tuple[Network, str]) -> ResolvedAccount | None:
        network, external_account_id = key
        async with self.sessionmaker() as session:
            account = await service.resolve(
                session, network=network, external_account_id=external_account_id
            )
        if account is None:
            self._found.pop(key, None)
            return None
        if len(self._found) > 10_000:
            self._found.clear()
        self._found[key] = (time.monotonic() + self.ttl_seconds, account)
        return account
