"""Idempotency-Key: a request retried with the same key gets the first answer again.

Storage is idempotent on (network, external_id) with or without a key; the key adds the exact
replay of the first response (ids and `duplicate` flags as first reported) for KEEP, and refuses
the key's reuse for a different request.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import TypeVar

from fastapi import Response
from pydantic import BaseModel
from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from beacon_shared.errors import DomainError
from ingest.interactions.models import idempotency_key

KEEP = timedelta(hours=24)
REPLAYED_HEADER = "Idempotent-Replayed"
M = TypeVar("M", bound=BaseModel)
c = idempotency_key.c


class KeyReused(DomainError):
    status, code, title = 422, "idempotency_key_reused", "Idempotency-Key already used"


def fingerprint(path: str, body: BaseModel) -> str:
    """What identifies a request: its route and its body as validated (spacing does not count)."""
    return hashlib.sha256(f"{path}\n{body.model_dump_json()}".encode()).hexdigest()


async def answer_once(
    sessionmaker: async_sessionmaker[AsyncSession],
    *,
    tenant_id: str,
    key: str | None,
    request_fingerprint: str,
    response: Response,
    model: type[M],
    produce: Callable[[], Awaitable[M]],
) -> M:
    """`produce()`'s answer, or the one first given for this key; the key is echoed back."""
    if key is None:
        return await produce()
    response.headers["Idempotency-Key"] = key
    async with sessionmaker() as session:
        stored = await _recall(session, tenant_id=tenant_id, key=key)
    if stored is not None:
        if stored.fingerprint != request_fingerprint:
            raise KeyReused(
                f"Idempotency-Key {key!r} was first used for another request; use a new key."
            )
        response.headers[REPLAYED_HEADER] = "true"
        return model.model_validate(stored.response)
    answer = await produce()
    async with sessionmaker() as session, session.begin():
        stmt = insert(idempotency_key).values(
            tenant_id=tenant_id,
            key=key,
            fingerprint=request_fingerprint,
            response=answer.model_dump(mode="json"),
            created_at=datetime.now(UTC),
        )
        # A key past KEEP is taken over; two first attempts racing stored the same interactions
        # once, and the first answer wins.
        await session.execute(
            stmt.on_conflict_do_update(
                index_elements=[c.tenant_id, c.key],
                set_={
                    "fingerprint": stmt.excluded.fingerprint,
                    "response": stmt.excluded.response,
                    "created_at": stmt.excluded.created_at,
                },
                where=c.created_at < datetime.now(UTC) - KEEP,
            )
        )
    return answer


async def prune(sessionmaker: async_sessionmaker[AsyncSession]) -> int:
    """Forget keys older than KEEP; returns how many."""
    async with sessionmaker() as session, session.begin():
        result = await session.execute(
            delete(idempotency_key).where(c.created_at < datetime.now(UTC) - KEEP)
        )
    return int(getattr(result, "rowcount", 0) or 0)


async def _recall(session: AsyncSession, *, tenant_id: str, key: str) -> _Stored | None:
    row = (
        await session.execute(
            select(c.fingerprint, c.response).where(
                c.tenant_id == tenant_id,
                c.key == key,
                c.created_at >= datetime.now(UTC) - KEEP,
            )
        )
    ).first()
    return None if row is None else _Stored(fingerprint=row.fingerprint, response=row.response)


class _Stored(BaseModel):
    fingerprint: str
    response: dict[str, object]
