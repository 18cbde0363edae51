"""Idempotency-Key: a request sent again with the same key gets the first answer again.

The one mechanism of every API that takes the header, over a table in the service's own schema
(`idempotency_table`):

- same key, same body: the answer the first request stored (`Idempotent-Replayed: true`);
- same key, another body: a 422 `idempotency_key_reused`;
- two requests racing with one key: the first to store its answer wins; the other waits for it
  on the key's row, undoes its own work (the transaction `answer_once` ran it in) and answers
  with the winner's.

A service stores what lets it answer again: the answer itself, or the ids of what it created
when a replay shows those as they are now.
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated, Generic, TypeVar

import orjson
from fastapi import Header, Response
from pydantic import BaseModel, JsonValue
from sqlalchemy import (
    Column,
    DateTime,
    Index,
    MetaData,
    PrimaryKeyConstraint,
    Table,
    Text,
    delete,
    func,
    select,
)
from sqlalchemy.dialects.postgresql import JSONB, insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from beacon_shared.errors import DomainError

KEY_HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
M = TypeVar("M", bound=BaseModel)
# Opens a transaction (or a savepoint) and yields its session; leaving it by an exception undoes
# what was done in it.
Transaction = Callable[[], AbstractAsyncContextManager[AsyncSession]]

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias=KEY_HEADER,
        min_length=1,
        max_length=255,
        # Printable ASCII only: it is echoed back as a header.
        pattern=r"^[\x20-\x7e]+$",
        description=(
            "Up to 255 printable ASCII characters; echoed back. A retry with the same key and"
            " body gets the first answer again; the same key with another body is a 422."
        ),
    ),
]


class IdempotencyKeyReused(DomainError):
    status, code, title = 422, "idempotency_key_reused", "Idempotency-Key already used"

    def __init__(self, key: str) -> None:
        super().__init__(
            f"Idempotency-Key {key!r} was first used for another request; use a new key."
        )


def idempotency_table(metadata: MetaData) -> Table:
    """`<schema>.idempotency_key`: per tenant and key, the fingerprint of the request that used
    the key first and what it stored to answer again."""
    return Table(
        "idempotency_key",
        metadata,
        Column("tenant_id", Text, nullable=False),
        Column("key", Text, nullable=False),
        Column("fingerprint", Text, nullable=False),
        Column("response", JSONB, nullable=False),
        Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        PrimaryKeyConstraint("tenant_id", "key"),
        Index("ix_idempotency_key_created_at", "created_at"),
    )


@dataclass(frozen=True)
class KeyTable:
    """A service's `idempotency_table`, and how long a key holds (None: as long as the row)."""

    table: Table
    keep: timedelta | None = None


@dataclass(frozen=True)
class Answer(Generic[M]):
    """What a request is answered with, and whether an earlier request stored it."""

    value: M
    replayed: bool


def mark(response: Response, *, key: str | None, replayed: bool) -> None:
    """Echo the key, and say when the answer is a replay."""
    if key is not None:
        response.headers[KEY_HEADER] = key
    if replayed:
        response.headers[REPLAYED_HEADER] = "true"


def fingerprint(request: JsonValue) -> str:
    """What identifies a request: a digest of it as JSON, keys sorted (spacing does not count)."""
    return hashlib.sha256(orjson.dumps(request, option=orjson.OPT_SORT_KEYS)).hexdigest()


def transactions(sessionmaker: async_sessionmaker[AsyncSession]) -> Transaction:
    """A transaction of its own each time: for work that commits elsewhere and is idempotent."""

    @asynccontextmanager
    async def transaction() -> AsyncIterator[AsyncSession]:
        async with sessionmaker() as session, session.begin():
            yield session

    return transaction


def savepoints(session: AsyncSession) -> Transaction:
    """A savepoint of the caller's transaction each time: the work commits with its key."""

    @asynccontextmanager
    async def savepoint() -> AsyncIterator[AsyncSession]:
        async with session.begin_nested():
            yield session

    return savepoint


async def answer_once(
    keys: KeyTable,
    transaction: Transaction,
    *,
    tenant_id: str,
    key: str | None,
    request: str,
    model: type[M],
    produce: Callable[[AsyncSession], Awaitable[M]],
) -> Answer[M]:
    """`produce(session)`'s answer, stored under the key; or the answer stored for the key
    before. `request` is the request's `fingerprint`; IdempotencyKeyReused when the key was
    first used for another one."""
    if key is None:
        async with transaction() as session:
            return Answer(await produce(session), replayed=False)
    async with transaction() as session:
        stored = await _recall(session, keys, tenant_id=tenant_id, key=key, request=request)
    if stored is None:
        try:
            async with transaction() as session:
                answer = await produce(session)
                if await _store(
                    session, keys, tenant_id=tenant_id, key=key, request=request, answer=answer
                ):
                    return Answer(answer, replayed=False)
                raise _Taken
        except _Taken:
            pass
        async with transaction() as session:
            stored = await _recall(session, keys, tenant_id=tenant_id, key=key, request=request)
        if stored is None:
            raise RuntimeError("an Idempotency-Key was taken, and then not found")
    return Answer(model.model_validate(stored), replayed=True)


async def prune(sessionmaker: async_sessionmaker[AsyncSession], keys: KeyTable) -> int:
    """Forget the keys older than `keys.keep`; how many."""
    if keys.keep is None:
        return 0
    t = keys.table
    async with sessionmaker() as session, session.begin():
        result = await session.execute(delete(t).where(t.c.created_at < _oldest_kept(keys)))
    return int(getattr(result, "rowcount", 0) or 0)


class _Taken(Exception):
    """Another request stored its answer under the key first."""


def _oldest_kept(keys: KeyTable) -> datetime:
    assert keys.keep is not None
    return datetime.now(UTC) - keys.keep


async def _recall(
    session: AsyncSession, keys: KeyTable, *, tenant_id: str, key: str, request: str
) -> JsonValue | None:
    t = keys.table
    query = select(t.c.fingerprint, t.c.response).where(t.c.tenant_id == tenant_id, t.c.key == key)
    if keys.keep is not None:
        query = query.where(t.c.created_at >= _oldest_kept(keys))
    row = (await session.execute(query)).first()
    if row is None:
        return None
    if row.fingerprint != request:
        raise IdempotencyKeyReused(key)
    response: JsonValue = row.response
    return response


async def _store(
    session: AsyncSession,
    keys: KeyTable,
    *,
    tenant_id: str,
    key: str,
    request: str,
    answer: BaseModel,
) -> bool:
    """Store the answer under the key unless another request did; a request holding the key
    (its transaction still open) is waited for."""
    t = keys.table
    stmt = insert(t).values(
        tenant_id=tenant_id,
        key=key,
        fingerprint=request,
        response=answer.model_dump(mode="json"),
        created_at=datetime.now(UTC),
    )
    if keys.keep is None:
        stmt = stmt.on_conflict_do_nothing(index_elements=[t.c.tenant_id, t.c.key])
    else:
        # A key past its time is taken over.
        stmt = stmt.on_conflict_do_update(
            index_elements=[t.c.tenant_id, t.c.key],
            set_={
                "fingerprint": stmt.excluded.fingerprint,
                "response": stmt.excluded.response,
                "created_at": stmt.excluded.created_at,
            },
            where=t.c.created_at < _oldest_kept(keys),
        )
    return (await session.execute(stmt.returning(t.c.key))).first() is not None
