"""Key rotation without downtime: a worker job that seals again, under the first key of a
keyring, every stored secret the first key cannot open yet.

To rotate: put the new key first (the old one after it) and restart; the job re-seals in batches
(at start, then hourly); once it logs none left (`secrets.resealed` stops appearing, nothing
`secrets.unreadable`), drop the old key.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial

from sqlalchemy import Column, Table, literal, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from beacon_shared.crypto import SecretBox, SecretsUnreadable
from beacon_shared.logging import get_logger
from beacon_shared.worker import Job, every

log = get_logger(__name__)
BATCH = 200
EVERY_SECONDS = 3600.0


@dataclass(frozen=True)
class Sealed:
    """A table's column of secrets sealed by `box`, and the columns naming a row."""

    table: Table
    column: str
    names: tuple[str, ...]
    box: SecretBox


async def reseal(sessionmaker: async_sessionmaker[AsyncSession], sealed: Sequence[Sealed]) -> int:
    """Seal again under its box's newest key every secret that key cannot open; how many were."""
    count = 0
    for spec in sealed:
        if spec.box.configured:
            count += await _reseal_column(sessionmaker, spec)
    if count:
        log.info("secrets.resealed", count=count)
    return count


async def _reseal_column(sessionmaker: async_sessionmaker[AsyncSession], spec: Sealed) -> int:
    column: Column[bytes] = spec.table.c[spec.column]
    names: list[Column[object]] = [spec.table.c[n] for n in spec.names]
    count, after = 0, None
    while True:
        async with sessionmaker() as session, session.begin():
            query = select(*names, column).where(column.is_not(None))
            if after is not None:
                query = query.where(tuple_(*names) > tuple_(*(literal(v) for v in after)))
            rows = (
                await session.execute(
                    query.order_by(*names).limit(BATCH).with_for_update(skip_locked=True)
                )
            ).all()
            for row in rows:
                token = bytes(row._mapping[column])
                if spec.box.sealed_with_newest(token):
                    continue
                try:
                    resealed = spec.box.reseal(token)
                except SecretsUnreadable:
                    # Sealed with a key no longer listed: nothing opens it, leave it be.
                    log.error("secrets.unreadable", table=spec.table.name, row=str(row[0]))
                    continue
                await session.execute(
                    update(spec.table)
                    .where(*(n == v for n, v in zip(names, row[:-1], strict=True)))
                    .values({spec.column: resealed})
                )
                count += 1
        if len(rows) < BATCH:
            return count
        after = tuple(rows[-1][:-1])


def reseal_job(sessionmaker: async_sessionmaker[AsyncSession], sealed: Sequence[Sealed]) -> Job:
    """The worker's re-sealing job: at start, then every hour."""
    return every(EVERY_SECONDS, partial(reseal, sessionmaker, sealed), name="reseal")
