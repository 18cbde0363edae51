"""The interactions API's Idempotency-Keys: kept a day, since storage is idempotent on
(network, external_id) anyway and the key only adds the exact first answer."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from beacon_shared import idempotency
from beacon_shared.idempotency import KeyTable
from ingest.interactions.models import idempotency_key

KEYS = KeyTable(idempotency_key, keep=timedelta(hours=24))


async def prune(sessionmaker: async_sessionmaker[AsyncSession]) -> int:
    """Forget the keys older than a day; how many."""
    return await idempotency.prune(sessionmaker, KEYS)
